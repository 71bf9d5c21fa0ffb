import type { Model } from "./api";

export interface Settings {
  model: string;
  temperature: number;
  maxTokens: number;
}

const KEY = "chat.settings";
export const DEFAULT_SETTINGS: Settings = { model: "", temperature: 0.7, maxTokens: 1024 };

type NumericSetting = "temperature" | "maxTokens";

/** The accepted range of each numeric setting (stored values and the inputs alike). */
const RANGES: Record<NumericSetting, { min: number; max: number; step: number; integer: boolean }> = {
  temperature: { min: 0, max: 2, step: 0.1, integer: false },
  maxTokens: { min: 1, max: 32768, step: 1, integer: true },
};

/** `value` clamped into the setting's range (rounded for integers); `fallback` when it is not a number. */
function inRange(name: NumericSetting, value: number, fallback: number): number {
  const { min, max, integer } = RANGES[name];
  if (!Number.isFinite(value)) return fallback;
  const clamped = Math.min(max, Math.max(min, value));
  return integer ? Math.round(clamped) : clamped;
}

/** Settings from localStorage (no personal data: model id and two numbers). */
export function loadSettings(): Settings {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<Settings>;
    return {
      model: typeof raw.model === "string" ? raw.model : DEFAULT_SETTINGS.model,
      temperature: stored(raw, "temperature"),
      maxTokens: stored(raw, "maxTokens"),
    };
  } catch {
    return DEFAULT_SETTINGS;
  }
}

function stored(raw: Partial<Settings>, name: NumericSetting): number {
  return inRange(name, Number(raw[name] ?? DEFAULT_SETTINGS[name]), DEFAULT_SETTINGS[name]);
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
      <NumberField id="setting-temperature" label="Temperature" name="temperature" settings={settings} onChange={onChange} />
      <NumberField id="setting-max-tokens" label="Max tokens" name="maxTokens" settings={settings} onChange={onChange} />
    </section>
  );
}

function NumberField({
  id,
  label,
  name,
  settings,
  onChange,
}: Omit<Props, "models"> & { label: string; name: NumericSetting }) {
  const { min, max, step } = RANGES[name];
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        step={step}
        value={settings[name]}
        onChange={(e) => onChange({ ...settings, [name]: inRange(name, e.target.valueAsNumber, settings[name]) })}
      />
    </div>
  );
}
