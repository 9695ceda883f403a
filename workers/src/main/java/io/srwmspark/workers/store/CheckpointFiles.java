package io.srwmspark.workers.store;

import io.srwmspark.workers.fewshot.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The checkpoints of a run folder: {@code step-<step>.ckpt} written at every validation (the last {@code keep}
 * are kept) and {@code best-<step>.ckpt} for the best validation accuracy (only the newest is kept). Names never
 * repeat, so a checkpoint is never overwritten: each is written under a temporary name and renamed, and older
 * ones are removed only after the new one is in place. Reading verifies the checksum; {@link #latest} falls back
 * to the newest checkpoint that verifies, saying which ones it skipped.
 */
public final class CheckpointFiles {

    private static final Pattern NAME = Pattern.compile("(step|best)-(\\d{12})\\.ckpt");

    private final RunStore store;
    private final int keep;

    /**
     * @param keep how many {@code step-*} checkpoints to keep (&gt;= 1)
     */
    public CheckpointFiles(RunStore store, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("train.keep-last must be >= 1, got " + keep);
        }
        this.store = store;
        this.keep = keep;
    }

    public RunStore store() {
        return store;
    }

    /** The file name of a checkpoint of {@code kind} ("step" or "best") at {@code step}. */
    public static String name(String kind, long step) {
        return String.format(Locale.ROOT, "%s-%012d.ckpt", kind, step);
    }

    /** Writes the checkpoint of step {@code c.step()}, and as the best one too if {@code best}; then prunes. */
    public void save(Checkpoint c, boolean best) throws IOException {
        store.write(name("step", c.step()), c::write);
        if (best) {
            store.write(name("best", c.step()), c::write);
        }
        prune();
    }

    /** Removes all but the newest {@code keep} step checkpoints and the newest best checkpoint. */
    private void prune() throws IOException {
        List<Long> steps = steps("step");
        for (int i = 0; i < steps.size() - keep; i++) {
            store.delete(name("step", steps.get(i)));
        }
        List<Long> bests = steps("best");
        for (int i = 0; i < bests.size() - 1; i++) {
            store.delete(name("best", bests.get(i)));
        }
    }

    /** Steps of the checkpoints of {@code kind}, ascending. */
    public List<Long> steps(String kind) throws IOException {
        List<Long> out = new ArrayList<>();
        for (String n : store.list()) {
            Matcher m = NAME.matcher(n);
            if (m.matches() && m.group(1).equals(kind)) {
                out.add(Long.parseLong(m.group(2)));
            }
        }
        return out;
    }

    /** Reads and verifies a checkpoint file of this folder. */
    public Checkpoint read(String name) throws IOException {
        try (InputStream in = store.input(name)) {
            return Checkpoint.read(in, store.describe(name));
        }
    }

    /**
     * A model to evaluate or export: a checkpoint file, or a run folder's best checkpoint (its newest step
     * checkpoint if it has no best one); local paths or URIs.
     */
    public static Checkpoint readModel(String location, Consumer<String> skipped) throws IOException {
        if (RunStore.isDirectory(location)) {
            CheckpointFiles files = new CheckpointFiles(RunStore.open(location), 1);
            Optional<Checkpoint> c = files.latest("best", skipped);
            if (c.isEmpty()) {
                c = files.latest("step", skipped);
            }
            return c.orElseThrow(() -> new IllegalArgumentException(location + " is a folder without a readable "
                    + "checkpoint (best-*.ckpt or step-*.ckpt)"));
        }
        try (InputStream in = RunStore.openFile(location)) {
            return Checkpoint.read(in, location);
        }
    }

    /**
     * The newest checkpoint of {@code kind} that verifies; corrupt or truncated newer ones are reported to
     * {@code skipped} and passed over (never deleted: they are evidence).
     */
    public Optional<Checkpoint> latest(String kind, Consumer<String> skipped) throws IOException {
        List<Long> steps = steps(kind);
        for (int i = steps.size() - 1; i >= 0; i--) {
            String n = name(kind, steps.get(i));
            try {
                return Optional.of(read(n));
            } catch (IllegalArgumentException ex) {
                skipped.accept(ex.getMessage());
            }
        }
        return Optional.empty();
    }
}
