/** Measurement harnesses behind {@code ./srwm bench}: warm-up, repeats, medians; no Spark. */
package io.srwmspark.workers.bench;
