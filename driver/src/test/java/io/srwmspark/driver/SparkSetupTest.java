package io.srwmspark.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.workers.rng.Seeds;
import io.srwmspark.workers.srwm.FastWeights;
import io.srwmspark.workers.srwm.SrwmInput;
import io.srwmspark.workers.srwm.SrwmKernels;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SparkSetupTest {

    @Test
    void optionsComeFromTheBuildAndAreAppended() {
        String opts = SparkSetup.jvmOptions();
        assertTrue(opts.contains("--add-modules=jdk.incubator.vector"), opts);
        assertTrue(opts.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), opts);
        SparkConf conf = SparkSetup.conf(new SparkConf(false).set("spark.executor.extraJavaOptions", "-Dfoo=1"),
                "t", "local[1]");
        assertTrue(conf.get("spark.executor.extraJavaOptions").startsWith("-Dfoo=1 --add-modules"));
        assertEquals("local[1]", conf.get("spark.master"));
    }

    @Test
    void hadoopSettingsAreTheSparkHadoopEntriesWithoutTheirPrefix() {
        SparkConf conf = new SparkConf(false).set("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9000")
                .set("spark.hadoop.fs.s3a.path.style.access", "true").set("spark.executor.memory", "1g")
                .set("spark.hadoopish", "x");
        assertEquals(Map.of("fs.s3a.endpoint", "http://127.0.0.1:9000", "fs.s3a.path.style.access", "true"),
                SparkSetup.hadoopSettings(conf));
        assertTrue(SparkSetup.hadoopSettings(new SparkConf(false)).isEmpty());
    }

    /** The workers' SRWM kernel runs inside Spark tasks and gives what it gives on the driver. */
    @Test
    void kernelRunsInSparkTasks() {
        SparkConf conf = SparkSetup.conf(new SparkConf(false).set("spark.ui.enabled", "false"), "srwm-test",
                "local[2]");
        List<Integer> seeds = IntStream.range(0, 4).boxed().toList();
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            List<float[]> remote = sc.parallelize(seeds, 2).map(SparkSetupTest::outputOf).collect();
            for (int i = 0; i < seeds.size(); i++) {
                assertArrayEquals(outputOf(seeds.get(i)), remote.get(i), 0f);
            }
        }
    }

    static float[] outputOf(int seed) {
        INDArray x = Seeds.gaussian(DataType.FLOAT, seed, 1, 2, 2, 5, 4);
        INDArray w = FastWeights.init(2, 4, DataType.FLOAT, seed);
        return SrwmKernels.byName("cpu").forward(SrwmInput.of(x, w), false).y().data().asFloat();
    }
}
