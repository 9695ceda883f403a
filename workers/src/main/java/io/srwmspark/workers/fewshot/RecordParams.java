package io.srwmspark.workers.fewshot;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Maps a block's parameter record (INDArray components, possibly nested records such as the feed-forward's
 * weights, null components skipped) onto named entries of a {@link ParamSet}: "prefix" + component path,
 * e.g. {@code seq0.ff.w1}. One mapping serves every block type, so the model needs no per-block glue.
 */
final class RecordParams<P extends Record> {

    private final Class<P> type;
    private final List<String> names = new ArrayList<>();
    private final List<long[]> shapes = new ArrayList<>();

    RecordParams(Class<P> type, P example) {
        this.type = type;
        collect(example, "");
    }

    private void collect(Record r, String path) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v = get(c, r);
            if (v instanceof INDArray a) {
                names.add(path + c.getName());
                shapes.add(a.shape());
            } else if (v instanceof Record nested) {
                collect(nested, path + c.getName() + ".");
            }
        }
    }

    void declare(ParamSet.Builder b, String prefix) {
        for (int i = 0; i < names.size(); i++) {
            b.add(prefix + names.get(i), shapes.get(i));
        }
    }

    /** Copies {@code values} into the views of {@code flat}. */
    void assign(ParamSet layout, INDArray flat, String prefix, P values) {
        visit(values, "", (name, a) -> layout.view(flat, prefix + name).assign(a));
    }

    /** Adds {@code grads} into the views of {@code flatGrad}. */
    void add(ParamSet layout, INDArray flatGrad, String prefix, P grads) {
        visit(grads, "", (name, a) -> layout.view(flatGrad, prefix + name).addi(a));
    }

    /** A record whose arrays are views of {@code flat}. */
    P views(ParamSet layout, INDArray flat, String prefix) {
        return type.cast(build(type, layout, flat, prefix, ""));
    }

    private Record build(Class<?> t, ParamSet layout, INDArray flat, String prefix, String path) {
        RecordComponent[] comps = t.getRecordComponents();
        Object[] args = new Object[comps.length];
        Class<?>[] types = new Class<?>[comps.length];
        for (int i = 0; i < comps.length; i++) {
            types[i] = comps[i].getType();
            String name = path + comps[i].getName();
            if (INDArray.class.isAssignableFrom(types[i])) {
                args[i] = names.contains(name) ? layout.view(flat, prefix + name) : null;
            } else if (Record.class.isAssignableFrom(types[i])) {
                boolean any = names.stream().anyMatch(n -> n.startsWith(name + "."));
                args[i] = any ? build(types[i], layout, flat, prefix, name + ".") : null;
            } else {
                throw new IllegalStateException(t.getSimpleName() + "." + comps[i].getName()
                        + " is neither an array nor a record of arrays");
            }
        }
        try {
            Constructor<?> ctor = t.getDeclaredConstructor(types);
            return (Record) ctor.newInstance(args);
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException ex) {
            throw new IllegalStateException("cannot build " + t.getName(), ex);
        } catch (InvocationTargetException ex) {
            throw new IllegalStateException("cannot build " + t.getName() + ": " + ex.getCause().getMessage(),
                    ex.getCause());
        }
    }

    private interface Leaf {
        void accept(String name, INDArray a);
    }

    private static void visit(Record r, String path, Leaf leaf) {
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            Object v = get(c, r);
            if (v instanceof INDArray a) {
                leaf.accept(path + c.getName(), a);
            } else if (v instanceof Record nested) {
                visit(nested, path + c.getName() + ".", leaf);
            }
        }
    }

    private static Object get(RecordComponent c, Record r) {
        try {
            return c.getAccessor().invoke(r);
        } catch (IllegalAccessException | InvocationTargetException ex) {
            throw new IllegalStateException("cannot read " + c.getName(), ex);
        }
    }
}
