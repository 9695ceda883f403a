/**
 * Configuration files: {@code key = value} lines with {@code #} comments (conf/*.conf), overridden by
 * {@code --set key=value}. Every key is read by exactly one immutable record that validates it; a key no
 * record reads is an error that lists the known keys.
 */
package io.srwmspark.workers.config;
