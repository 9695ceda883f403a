/** What runs report: metrics files, learning-curve plots, accuracy with confidence intervals. */
package io.srwmspark.workers.report;
