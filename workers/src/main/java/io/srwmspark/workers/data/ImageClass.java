package io.srwmspark.workers.data;

import java.util.List;

/**
 * One class of a dataset before loading.
 *
 * @param name  unique within its dataset: {@code images_background/Alphabet/character01} (Omniglot), the label
 *              (Mini-ImageNet), the folder name (class folders)
 * @param files its image files, paths relative to the dataset root, in a deterministic order
 */
public record ImageClass(String name, List<String> files) {

    public ImageClass {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("class name is empty");
        }
        files = List.copyOf(files);
    }
}
