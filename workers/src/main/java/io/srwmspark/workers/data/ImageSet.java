package io.srwmspark.workers.data;

import java.nio.FloatBuffer;
import java.util.List;

/**
 * One split decoded and preprocessed in memory: all images in one contiguous float array of shape
 * (numImages, C, H, W), C order, grouped by class; class c holds images {@code classStart(c)} to
 * {@code classStart(c + 1) - 1}. Immutable: readers get copies or read-only views.
 */
public final class ImageSet {

    private final String split;
    private final List<String> classNames;
    private final Preprocessing preprocessing;
    private final float[] data;
    private final int[] classStart;
    private final LoadReport report;

    /**
     * @param data       (numImages, C, H, W) floats, owned by this set from now on
     * @param classStart numClasses + 1 non-decreasing image indices, the first 0 and the last numImages
     */
    ImageSet(String split, List<String> classNames, Preprocessing preprocessing, float[] data, int[] classStart,
            LoadReport report) {
        if (classStart.length != classNames.size() + 1 || classStart[0] != 0) {
            throw new IllegalArgumentException("class offsets must be numClasses + 1 = " + (classNames.size() + 1)
                    + " values starting at 0, got " + classStart.length);
        }
        for (int c = 0; c < classNames.size(); c++) {
            if (classStart[c + 1] < classStart[c]) {
                throw new IllegalArgumentException("class offsets must not decrease, at class " + c);
            }
        }
        if ((long) classStart[classNames.size()] * preprocessing.imageSize() != data.length) {
            throw new IllegalArgumentException("data holds " + data.length + " floats, expected " + classStart[
                    classNames.size()] + " images x " + preprocessing.imageSize());
        }
        this.split = split;
        this.classNames = List.copyOf(classNames);
        this.preprocessing = preprocessing;
        this.data = data;
        this.classStart = classStart.clone();
        this.report = report;
    }

    public String split() {
        return split;
    }

    /** Class names; with rotations {@code NAME}, {@code NAME@rot90}, {@code NAME@rot180}, {@code NAME@rot270}. */
    public List<String> classNames() {
        return classNames;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public LoadReport report() {
        return report;
    }

    public int numClasses() {
        return classNames.size();
    }

    public int numImages() {
        return classStart[classNames.size()];
    }

    public int channels() {
        return preprocessing.channels();
    }

    public int height() {
        return preprocessing.height();
    }

    public int width() {
        return preprocessing.width();
    }

    /** Floats per image, C * H * W. */
    public int imageSize() {
        return preprocessing.imageSize();
    }

    /** Index of class c's first image. */
    public int classStart(int c) {
        return classStart[c];
    }

    public int classSize(int c) {
        return classStart[c + 1] - classStart[c];
    }

    /** Copies image {@code i} of class {@code c}, (C, H, W), into {@code dst} from {@code offset}. */
    public void copyImage(int c, int i, float[] dst, int offset) {
        if (i < 0 || i >= classSize(c)) {
            throw new IndexOutOfBoundsException("image " + i + " of class " + c + " (" + classSize(c) + " images)");
        }
        int n = imageSize();
        System.arraycopy(data, (classStart[c] + i) * n, dst, offset, n);
    }

    /** Image {@code i} of class {@code c} as a read-only view of C * H * W floats. */
    public FloatBuffer image(int c, int i) {
        if (i < 0 || i >= classSize(c)) {
            throw new IndexOutOfBoundsException("image " + i + " of class " + c + " (" + classSize(c) + " images)");
        }
        int n = imageSize();
        return FloatBuffer.wrap(data, (classStart[c] + i) * n, n).slice().asReadOnlyBuffer();
    }

    /** All images, (numImages, C, H, W), as a read-only view. */
    public FloatBuffer data() {
        return FloatBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** Bytes held: the floats and the class offsets. */
    public long bytes() {
        return 4L * data.length + 4L * classStart.length;
    }

    /** As {@link ClassList#requireEpisodeable}, on the classes and images actually loaded. */
    public void requireEpisodeable(int ways, int shots, int queries) {
        int[] sizes = new int[numClasses()];
        for (int c = 0; c < sizes.length; c++) {
            sizes[c] = classSize(c);
        }
        Episodeable.require(split, ways, shots, queries, sizes, classNames::get);
    }
}
