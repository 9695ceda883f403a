package io.srwmspark.workers.fewshot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The trainable parameters of a model as one flat vector in a fixed, documented order (the order in which
 * they were declared), with each named parameter a view of it. The same layout holds the gradient, so the
 * optimizer, the Spark aggregation and {@code model export-params} all see one float array.
 */
public final class ParamSet {

    /** One parameter: its name, shape and place in the flat vector. */
    public record Entry(String name, long[] shape, long offset, long length) {
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byName;
    private final long size;

    private ParamSet(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        Map<String, Entry> m = new LinkedHashMap<>();
        long n = 0;
        for (Entry e : entries) {
            if (m.put(e.name(), e) != null) {
                throw new IllegalArgumentException("parameter '" + e.name() + "' declared twice");
            }
            n += e.length();
        }
        this.byName = Collections.unmodifiableMap(m);
        this.size = n;
    }

    /** Declares parameters in order. */
    public static final class Builder {
        private final List<Entry> entries = new ArrayList<>();
        private long offset;

        public Builder add(String name, long... shape) {
            long len = 1;
            for (long d : shape) {
                if (d < 1) {
                    throw new IllegalArgumentException("parameter '" + name + "' has a non-positive dimension");
                }
                len *= d;
            }
            entries.add(new Entry(name, shape.clone(), offset, len));
            offset += len;
            return this;
        }

        public ParamSet build() {
            return new ParamSet(entries);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Entry> entries() {
        return entries;
    }

    public long size() {
        return size;
    }

    public Entry entry(String name) {
        Entry e = byName.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no parameter '" + name + "'; parameters: " + byName.keySet());
        }
        return e;
    }

    /** A new zero flat vector (1, size) of this layout. */
    public INDArray zeros(DataType type) {
        return Nd4j.zeros(type, 1, size);
    }

    /** The view of parameter {@code name} in the flat vector {@code flat} (writes go through). */
    public INDArray view(INDArray flat, String name) {
        Entry e = entry(name);
        if (flat.length() != size) {
            throw new IllegalArgumentException("flat vector has " + flat.length() + " values, layout needs " + size);
        }
        INDArray row = flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(e.offset(), e.offset() + e.length()));
        return row.reshape('c', e.shape());
    }
}
