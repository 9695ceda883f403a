/** Entry points: the {@code ./srwm} command line and the classes spark-submit runs. */
package io.srwmspark.jobs;
