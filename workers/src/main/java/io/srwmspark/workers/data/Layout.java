package io.srwmspark.workers.data;

/** The on-disk layouts {@link Datasets#detect} recognizes. */
public enum Layout {
    /** {@code images_background/} and/or {@code images_evaluation/}, each {@code alphabet/character/*.png}. */
    OMNIGLOT,
    /** {@code images/} plus {@code train.csv}, {@code val.csv}, {@code test.csv} with header {@code filename,label}. */
    MINI_IMAGENET,
    /** One folder per class holding {@code .png}, {@code .jpg} or {@code .jpeg} files. */
    CLASS_FOLDERS
}
