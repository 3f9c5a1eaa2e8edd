import { useRecentDifficulty } from "../../api/hooks";
import { shareAtOrAbove } from "../../lib/rules";

/**
 * The difficulty threshold as "quality ↔ cost": moving right sends fewer requests to this
 * rule's (strong) targets. Shows the share it would send, from recent requests' scores.
 */
export function DifficultySlider({ threshold, onChange, targets }: { threshold: number; onChange: (t: number) => void; targets: string[] }) {
  const recent = useRecentDifficulty();
  const scores = recent.data ?? [];
  const share = shareAtOrAbove(threshold, scores);
  return (
    <div className="slider">
      <label className="field">
        <span>
          Quality ↔ cost <span className="muted small">(difficulty ≥ {threshold.toFixed(2)})</span>
        </span>
        <input type="range" min={0} max={1} step={0.05} value={threshold} aria-label="Quality to cost" onChange={(e) => onChange(Number(e.target.value))} />
      </label>
      <div className="muted small" aria-live="polite" data-testid="share">
        ≈ {Math.round(share * 100)} % of requests to {targets[0] ?? "this rule's targets"}, {Math.round((1 - share) * 100)} % on to the next rule
        {scores.length >= 20 ? ` (from the last ${scores.length} scored requests)` : " (from the score's scale; recent requests had too few scores)"}
      </div>
    </div>
  );
}
