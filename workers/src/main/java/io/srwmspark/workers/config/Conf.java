package io.srwmspark.workers.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Raw configuration: an ordered map of keys to string values, with where each value came from, and typed
 * reads that remember which keys were read. {@link #rejectUnread()} then fails on any key nobody read.
 */
public final class Conf {

    private final Map<String, String> values;
    private final Map<String, String> origin;
    private final Set<String> read = Collections.synchronizedSet(new TreeSet<>());
    private final Map<String, String> used = Collections.synchronizedMap(new java.util.TreeMap<>());

    private Conf(Map<String, String> values, Map<String, String> origin) {
        this.values = values;
        this.origin = origin;
    }

    /** An empty configuration (every key at its default). */
    public static Conf empty() {
        return new Conf(new LinkedHashMap<>(), new LinkedHashMap<>());
    }

    /** Parses {@code key = value} lines; {@code #} starts a comment; blank lines are skipped. */
    public static Conf parse(String text, String source) {
        Conf c = empty();
        c.merge(text, source);
        return c;
    }

    /** Reads a file. */
    public static Conf load(Path file) {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + ex.getMessage(), ex);
        }
    }

    private void merge(String text, String source) {
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(source + ":" + (i + 1) + ": expected 'key = value', got '"
                        + lines[i].strip() + "'");
            }
            put(line.substring(0, eq).strip(), line.substring(eq + 1).strip(), source + ":" + (i + 1));
        }
    }

    /** Applies {@code key=value} overrides (from --set) on top. */
    public Conf with(List<String> overrides) {
        Conf c = new Conf(new LinkedHashMap<>(values), new LinkedHashMap<>(origin));
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set expects key=value, got '" + o + "'");
            }
            c.put(o.substring(0, eq).strip(), o.substring(eq + 1).strip(), "--set " + o);
        }
        return c;
    }

    private void put(String key, String value, String where) {
        if (!key.matches("[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*)*")) {
            throw new IllegalArgumentException(where + ": bad key '" + key
                    + "' (lower-case words separated by dots and dashes)");
        }
        values.put(key, value);
        origin.put(key, where);
    }

    /** Where a key's value came from (file:line or --set), or "default". */
    public String origin(String key) {
        return origin.getOrDefault(key, "default");
    }

    public boolean has(String key) {
        read.add(key);
        return values.containsKey(key);
    }

    public String string(String key, String def) {
        read.add(key);
        String v = values.getOrDefault(key, def);
        if (v != null) {
            used.put(key, v);
        }
        return v;
    }

    /**
     * Every key read so far with the value in effect (given or default), one {@code key = value} line each,
     * sorted: the effective configuration, as written into checkpoints.
     */
    public String effective() {
        StringBuilder sb = new StringBuilder();
        synchronized (used) {
            used.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        }
        return sb.toString();
    }

    public int integer(String key, int def, int min, int max) {
        String v = string(key, Integer.toString(def));
        try {
            long x = Long.parseLong(v.replace("_", ""));
            if (x < min || x > max) {
                throw new IllegalArgumentException(origin(key) + ": " + key + " = " + v + " is out of range ["
                        + min + ", " + max + "]");
            }
            return (int) x;
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(origin(key) + ": " + key + " = '" + v + "' is not an integer", ex);
        }
    }

    public long longValue(String key, long def) {
        String v = string(key, Long.toString(def));
        try {
            return Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(origin(key) + ": " + key + " = '" + v + "' is not an integer", ex);
        }
    }

    public double number(String key, double def, double min, double max) {
        String v = string(key, Double.toString(def));
        try {
            double x = Double.parseDouble(v);
            if (!(x >= min && x <= max)) {
                throw new IllegalArgumentException(origin(key) + ": " + key + " = " + v + " is out of range ["
                        + min + ", " + max + "]");
            }
            return x;
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(origin(key) + ": " + key + " = '" + v + "' is not a number", ex);
        }
    }

    public boolean bool(String key, boolean def) {
        String v = string(key, Boolean.toString(def));
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(origin(key) + ": " + key + " = '" + v
                    + "' is not a boolean (true or false)");
        };
    }

    /** One of {@code allowed} (case-insensitive), returned lower-case. */
    public String choice(String key, String def, String... allowed) {
        String v = string(key, def).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException(origin(key) + ": " + key + " = '" + v + "' must be one of "
                + String.join(", ", allowed));
    }

    /** Fails on any key that was never read, listing the keys that were. */
    public void rejectUnread() {
        List<String> unknown = new ArrayList<>();
        for (String k : values.keySet()) {
            if (!read.contains(k)) {
                unknown.add(k + " (" + origin(k) + ")");
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown config key" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + "; known keys: " + String.join(", ", read));
        }
    }
}
