import type { ModelStatus } from "../../api/types";

/** What the embedding model is doing, and what that means for caching. */
export function ModelStatusLine({ model }: { model: ModelStatus }) {
  switch (model.state) {
    case "ready":
      return <p><span className="badge ok">Ready</span> Rephrased questions are answered from the cache. Model: <code>{model.dir}</code></p>;
    case "loading":
      return <p><span className="badge plain">Loading</span> The embedding model is loading; until then only identical requests are answered from the cache.</p>;
    case "missing":
      return (
        <p>
          <span className="badge warn">Waiting for the model</span> Semantic caching needs all-MiniLM-L6-v2 in <code>{model.dir}</code> (or a folder named by{" "}
          <code>SLUICE_EMBED_MODEL_DIR</code> or <code>embed_model_dir</code> under <code>[cache]</code>). Until then only identical requests are answered from the cache.
        </p>
      );
    case "failed":
      return <p><span className="badge error">Model failed</span> {model.error}. Only identical requests are answered from the cache.</p>;
    case "off":
      return <p><span className="badge plain">Off</span> Semantic caching is switched off; identical requests are still answered from the cache.</p>;
  }
}
