import type { Model } from "./api";

export interface Settings {
  model: string;
  temperature: number;
  maxTokens: number;
}

const KEY = "chat.settings";
export const DEFAULT_SETTINGS: Settings = { model: "", temperature: 0.7, maxTokens: 1024 };

function clamp(value: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** Settings from localStorage (no personal data: model id and two numbers). */
export function loadSettings(): Settings {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Settings>;
    return {
      model: typeof raw.model === "string" ? raw.model : DEFAULT_SETTINGS.model,
      temperature: clamp(Number(raw.temperature ?? DEFAULT_SETTINGS.temperature), 0, 2, DEFAULT_SETTINGS.temperature),
      maxTokens: Math.round(clamp(Number(raw.maxTokens ?? DEFAULT_SETTINGS.maxTokens), 1, 32768, DEFAULT_SETTINGS.maxTokens)),
    };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

export function saveSettings(settings: Settings): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(settings));
  } catch {
    // storage full or disabled: settings last for this page only
  }
}

interface Props {
  id: string;
  settings: Settings;
  models: Model[];
  onChange: (settings: Settings) => void;
}

export function SettingsPanel({ id, settings, models, onChange }: Props) {
  return (
    <section id={id} className="settings" aria-label="Settings">
      <div className="field">
        <label htmlFor="setting-model">Model</label>
        <select
          id="setting-model"
          value={settings.model}
          onChange={(e) => onChange({ ...settings, model: e.target.value })}
        >
          <option value="">Default</option>
          {models.map((m) => (
            <option key={m.id} value={m.id}>
              {m.id}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="setting-temperature">Temperature</label>
        <input
          id="setting-temperature"
          type="number"
          min={0}
          max={2}
          step={0.1}
          value={settings.temperature}
          onChange={(e) => onChange({ ...settings, temperature: clamp(e.target.valueAsNumber, 0, 2, settings.temperature) })}
        />
      </div>
      <div className="field">
        <label htmlFor="setting-max-tokens">Max tokens</label>
        <input
          id="setting-max-tokens"
          type="number"
          min={1}
          max={32768}
          step={1}
          value={settings.maxTokens}
          onChange={(e) =>
            onChange({ ...settings, maxTokens: Math.round(clamp(e.target.valueAsNumber, 1, 32768, settings.maxTokens)) })
          }
        />
      </div>
    </section>
  );
}
