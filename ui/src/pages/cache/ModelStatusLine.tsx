import { useState, type FormEvent } from "react";
import { useFetchModel } from "../../api/hooks";
import type { ModelStatus } from "../../api/types";
import { ErrorBox } from "../../components/ErrorBox";
import { formatPercent } from "../../lib/format";

const EXACT_ONLY = "Until then only identical requests are answered from the cache.";

/** What the embedding model is doing, what that means for caching, and how to get it. */
export function ModelStatusLine({ model }: { model: ModelStatus }) {
  switch (model.state) {
    case "ready":
      return <p><span className="badge ok">Ready</span> Rephrased questions are answered from the cache. Model: <code>{model.dir}</code></p>;
    case "loading":
      return <p><span className="badge plain">Loading</span> The embedding model and the cache's search index are loading. {EXACT_ONLY}</p>;
    case "downloading":
      return (
        <div>
          <p><span className="badge plain">Downloading</span> all-MiniLM-L6-v2 into <code>{model.dir}</code>. {EXACT_ONLY}</p>
          <div className="row">
            <progress max={model.total || 1} value={model.total ? model.done : 0} aria-label="Model download" />
            <span className="muted small">{model.total ? formatPercent(model.done, model.total) : "starting…"}</span>
          </div>
        </div>
      );
    case "missing":
      return (
        <div>
          <p><span className="badge warn">Waiting for the model</span> Semantic caching needs the all-MiniLM-L6-v2 embedding model (about 90 MB) in <code>{model.dir}</code>. {EXACT_ONLY}</p>
          <FetchModel />
        </div>
      );
    case "failed":
      return (
        <div>
          <p><span className="badge bad">Model failed</span> {model.error}. {EXACT_ONLY}</p>
          <FetchModel />
        </div>
      );
    case "remote":
      return <p><span className="badge ok">Ready</span> Rephrased questions are answered from the cache, embedded by <code>{model.embedder}</code> (<code>[cache] embedder</code>). The similarity threshold was calibrated on the local model; check it with <code>sluice eval cache</code>.</p>;
    case "unavailable":
      return <p><span className="badge bad">Embedder unavailable</span> <code>{model.embedder}</code>: {model.error}. {EXACT_ONLY}</p>;
    case "off":
      return <p><span className="badge plain">Off</span> Semantic caching is switched off; identical requests are still answered from the cache.</p>;
  }
}

/** Download from Hugging Face (checked against pinned checksums), or import a local copy. */
function FetchModel() {
  const fetchModel = useFetchModel();
  const [folder, setFolder] = useState("");
  const importFolder = (e: FormEvent) => {
    e.preventDefault();
    if (folder.trim()) fetchModel.mutate(folder.trim());
  };
  return (
    <>
      <div className="row">
        <button onClick={() => fetchModel.mutate(undefined)} disabled={fetchModel.isPending}>
          Download the model
        </button>
        <span className="muted small">or</span>
        <form className="row tight" onSubmit={importFolder}>
          <input aria-label="Model folder" placeholder="/path/to/all-MiniLM-L6-v2" value={folder} onChange={(e) => setFolder(e.target.value)} />
          <button type="submit" disabled={fetchModel.isPending || !folder.trim()}>
            Import
          </button>
        </form>
      </div>
      <ErrorBox error={fetchModel.error} />
    </>
  );
}
