package io.srwmspark.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.srwmspark.driver.GpuPinning.Action;
import io.srwmspark.driver.GpuPinning.Decision;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The decision of {@link GpuPinning} for each kind of task, and its errors. */
class GpuPinningTest {

    @Test
    void noGpuMeansNothingToDo() {
        for (String[] none : new String[][] {null, {}}) {
            Decision d = GpuPinning.decide(none, true, 2);
            assertEquals(Action.NONE, d.action());
            assertEquals(List.of(), d.addresses());
            assertEquals(-1, d.device());
        }
    }

    @Test
    void cudaBackendPinsToTheAssignedIndex() {
        Decision d = GpuPinning.decide(new String[] {"1"}, true, 2);
        assertEquals(Action.PIN, d.action());
        assertEquals(1, d.device());
        assertEquals(List.of("1"), d.addresses());
        assertEquals(0, GpuPinning.decide(new String[] {" 0 "}, true, 1).device());
    }

    @Test
    void severalGpusPinToTheFirst() {
        Decision d = GpuPinning.decide(new String[] {"3", "2"}, true, 4);
        assertEquals(Action.PIN, d.action());
        assertEquals(3, d.device());
        assertEquals("[3, 2]", d.addresses().toString());
    }

    @Test
    void cpuBackendReportsTheAddressAndPinsNothing() {
        // on the CPU backend the address is only reported, so even a name that is no index is accepted
        for (String address : new String[] {"0", "GPU-5f1c"}) {
            Decision d = GpuPinning.decide(new String[] {address}, false, 0);
            assertEquals(Action.CPU_BACKEND, d.action());
            assertEquals(-1, d.device());
            assertEquals(List.of(address), d.addresses());
        }
    }

    @ParameterizedTest(name = "address {0} with {1} devices")
    @CsvSource(delimiter = '|', value = {
        "GPU-5f1c2d3e|2|'GPU-5f1c2d3e', which is not a device index",
        "''|2|'', which is not a device index",
        "0x1|2|'0x1', which is not a device index",
        "2|2|address 2 but ND4J sees 2 CUDA device(s) (indices 0..1)",
        "-1|2|address -1 but ND4J sees 2 CUDA device(s)",
        "0|0|address 0 but ND4J sees 0 CUDA device(s)"})
    void addressesThatAreNoVisibleDeviceAreRefusedWithTheReason(String address, int devices, String expected) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> GpuPinning.decide(new String[] {address}, true, devices));
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }

    @Test
    void decisionsAreImmutable() {
        String[] given = {"0"};
        Decision d = GpuPinning.decide(given, false, 0);
        given[0] = "7";
        assertEquals(List.of("0"), d.addresses());
        assertThrows(UnsupportedOperationException.class, () -> d.addresses().add("1"));
    }

    /** Outside a task, and in tasks without GPUs (local mode), pinning leaves everything as it is. */
    @Test
    void doesNothingWithoutATaskOrWithoutAGpu() {
        GpuPinning.pinCurrentTask();
        SparkConf conf = SparkSetup.conf(new SparkConf(false).set("spark.ui.enabled", "false"), "gpu-pinning",
                "local[2]");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            List<Integer> seen = sc.parallelize(List.of(1, 2, 3, 4), 2).map(x -> {
                GpuPinning.pinCurrentTask();
                return x * 10;
            }).collect();
            assertEquals(List.of(10, 20, 30, 40), seen);
        }
    }
}
