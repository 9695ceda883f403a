package io.srwmspark.workers.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Loads a {@link ClassList} into an {@link ImageSet}: reads, decodes (javax.imageio) and preprocesses every image on
 * {@code threads} threads, each image straight into its slot of the one float array.
 */
public final class ImageSetLoader {

    /** The largest Java array we allocate. */
    static final long MAX_FLOATS = Integer.MAX_VALUE - 16L;

    private ImageSetLoader() {
    }

    /** One failed file: its index in load order, path and reason. */
    private record Failure(int index, String file, String reason) {
    }

    public static ImageSet load(DataStore store, ClassList classes, Preprocessing prep, LoadOptions options)
            throws IOException {
        long t0 = System.nanoTime();
        int rot = options.rotations() ? 4 : 1;
        if (options.rotations() && prep.height() != prep.width()) {
            throw new IllegalArgumentException("rotations need a square image size, got " + prep.height() + "x"
                    + prep.width());
        }
        int numClasses = classes.numClasses();
        int n = classes.numImages();
        int size = prep.imageSize();
        long floats = (long) n * rot * size;
        if (floats > MAX_FLOATS) {
            throw new IllegalArgumentException("split '" + classes.split() + "' needs " + floats + " floats (" + n
                    + " images x " + rot + " x " + prep.describe() + "), more than one Java array holds ("
                    + MAX_FLOATS + "): use a smaller image size or fewer classes");
        }
        String[] files = new String[n];
        int[] classOf = new int[n];
        int[] indexInClass = new int[n];
        int[] first = new int[numClasses + 1];
        for (int c = 0, k = 0; c < numClasses; c++) {
            first[c] = k;
            for (String f : classes.classes().get(c).files()) {
                files[k] = f;
                classOf[k] = c;
                indexInClass[k] = k - first[c];
                k++;
            }
            first[c + 1] = k;
        }
        float[] slots = new float[(int) floats];
        boolean[] ok = new boolean[n];
        AtomicInteger next = new AtomicInteger();
        AtomicLong fileBytes = new AtomicLong();
        List<Failure> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        int threads = Math.max(1, Math.min(options.threads(), n));
        Runnable worker = () -> {
            float[] one = new float[size];
            int k;
            while ((k = next.getAndIncrement()) < n) {
                if (!options.skipUnreadable() && !failures.isEmpty()) {
                    return;
                }
                BufferedImage img;
                try {
                    byte[] bytes = store.read(files[k]);
                    fileBytes.addAndGet(bytes.length);
                    try {
                        img = Pixels.decode(bytes);
                    } catch (IOException ex) {
                        failures.add(new Failure(k, files[k], "cannot decode image " + store.describe(files[k]) + " ("
                                + bytes.length + " bytes): " + ex.getMessage()));
                        continue;
                    }
                } catch (IOException | RuntimeException ex) {
                    failures.add(new Failure(k, files[k], "cannot read image " + store.describe(files[k]) + ": " + ex));
                    continue;
                }
                int c = classOf[k];
                int nc = first[c + 1] - first[c];
                int base = rot * first[c] + indexInClass[k];
                if (rot == 1) {
                    prep.apply(img, slots, base * size);
                } else {
                    prep.apply(img, one, 0);
                    for (int q = 0; q < 4; q++) {
                        Pixels.rotate(one, 0, slots, (base + q * nc) * size, prep.channels(), prep.height(), q);
                    }
                }
                ok[k] = true;
            }
        };
        run(worker, threads);
        List<Failure> failed = new ArrayList<>(failures);
        failed.sort(java.util.Comparator.comparingInt(Failure::index));
        if (!failed.isEmpty() && !options.skipUnreadable()) {
            throw new IllegalArgumentException(failed.get(0).reason() + " (split '" + classes.split()
                    + "'; skip unreadable images to load the rest)");
        }
        // Class c (with rotation q) starts at rot * first[c] + q * nc; drop the gaps of skipped files, moving forward.
        float[] data = slots;
        List<String> names = new ArrayList<>(numClasses * rot);
        int[] start = new int[numClasses * rot + 1];
        int out = 0;
        for (int c = 0; c < numClasses; c++) {
            String name = classes.classes().get(c).name();
            int nc = first[c + 1] - first[c];
            for (int q = 0; q < rot; q++) {
                names.add(q == 0 ? name : name + "@rot" + (90 * q));
                start[c * rot + q] = out;
                for (int i = 0; i < nc; i++) {
                    if (ok[first[c] + i]) {
                        int from = rot * first[c] + q * nc + i;
                        if (from != out) {
                            System.arraycopy(data, from * size, data, out * size, size);
                        }
                        out++;
                    }
                }
            }
        }
        start[numClasses * rot] = out;
        if ((long) out * size != data.length) {
            data = java.util.Arrays.copyOf(data, out * size);
        }
        List<String> skipped = new ArrayList<>();
        for (int i = 0; i < Math.min(LoadReport.MAX_LISTED, failed.size()); i++) {
            skipped.add(failed.get(i).reason());
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        LoadReport report = new LoadReport(classes.split(), n, out, numClasses * rot, failed.size(), skipped,
                fileBytes.get(), 4L * data.length + 4L * start.length, millis, threads);
        return new ImageSet(classes.split(), names, prep, data, start, report);
    }

    /** Runs {@code worker} on {@code threads} threads (the caller's thread when 1) and waits for all. */
    private static void run(Runnable worker, int threads) throws IOException {
        if (threads == 1) {
            worker.run();
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "srwm-image-load");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(worker));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading images", ex);
        } catch (java.util.concurrent.ExecutionException ex) {
            Throwable cause = ex.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error e) {
                throw e;
            }
            throw new IOException(cause);
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
