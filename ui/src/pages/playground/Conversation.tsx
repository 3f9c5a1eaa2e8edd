import type { KeyboardEvent } from "react";
import type { ChatTurn } from "../../api/types";

/** The turns sent after the system prompt: user and assistant, ending with a user turn. */
export function Conversation({ turns, onChange, onKey }: { turns: ChatTurn[]; onChange: (t: ChatTurn[]) => void; onKey: (e: KeyboardEvent) => void }) {
  const set = (i: number, t: ChatTurn) => onChange(turns.map((x, j) => (j === i ? t : x)));
  const single = turns.length === 1;
  return (
    <div className="conversation">
      {turns.map((t, i) => (
        <div className="field" key={i}>
          {single ? (
            <span>Message</span>
          ) : (
            <div className="row between">
              <select aria-label={`Turn ${i + 1} role`} value={t.role} onChange={(e) => set(i, { ...t, role: e.target.value as ChatTurn["role"] })}>
                <option value="user">user</option>
                <option value="assistant">assistant</option>
              </select>
              <button className="ghost" aria-label={`Remove turn ${i + 1}`} onClick={() => onChange(turns.filter((_, j) => j !== i))}>
                ✕
              </button>
            </div>
          )}
          <textarea aria-label={single ? "Message" : `Turn ${i + 1}`} rows={single ? 4 : 2} value={t.content} placeholder="Write {{variables}} to fill in below" onChange={(e) => set(i, { ...t, content: e.target.value })} onKeyDown={onKey} />
        </div>
      ))}
      <button className="ghost small" onClick={() => onChange([...turns, { role: turns[turns.length - 1]?.role === "user" ? "assistant" : "user", content: "" }])}>
        + Add turn
      </button>
    </div>
  );
}
