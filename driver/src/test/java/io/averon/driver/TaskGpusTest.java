package io.averon.driver;

import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reading a task's GPU addresses out of Spark's resource map, as EpochTask hands them to the worker. */
class TaskGpusTest {

    @Test
    void theGpuAddressesOfTheTaskInSparksOrder() {
        Map<String, ResourceInformation> resources = Map.of(
                "gpu", new ResourceInformation("gpu", new String[] {"3", "1"}),
                "fpga", new ResourceInformation("fpga", new String[] {"0"}));
        assertEquals(List.of("3", "1"), TaskGpus.of(resources));
    }

    @Test
    void noGpuResourceMeansNoAddresses() {
        assertEquals(List.of(), TaskGpus.of(Map.of()));
        assertEquals(List.of(), TaskGpus.of(null));
        assertEquals(List.of(), TaskGpus.of(Map.of("fpga", new ResourceInformation("fpga", new String[] {"0"}))));
    }

    @Test
    void outsideASparkTaskThereAreNone() {
        assertEquals(List.of(), TaskGpus.current());
    }
}
