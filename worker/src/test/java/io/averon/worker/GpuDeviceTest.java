package io.averon.worker;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.concurrency.BasicAffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spark GPU addresses to ND4J devices: the mapping, its errors, the binding on a CUDA-like and the CPU backend. */
class GpuDeviceTest {

    @Test
    void noAddressesLeaveTheDeviceAlone() {
        assertEquals(OptionalInt.empty(), GpuDevice.index(List.of(), 4));
        assertEquals(OptionalInt.empty(), GpuDevice.index(null, 4));
        assertEquals(OptionalInt.empty(), GpuDevice.index(List.of(), 0));
    }

    @Test
    void anAddressIsItsDeviceIndex() {
        assertEquals(OptionalInt.of(0), GpuDevice.index(List.of("0"), 4));
        assertEquals(OptionalInt.of(3), GpuDevice.index(List.of("3"), 4));
        assertEquals(OptionalInt.of(2), GpuDevice.index(List.of(" 2\n"), 4));
    }

    @Test
    void tasksOfOneExecutorGetDistinctDevices() {
        // What Spark hands four tasks on a 4-GPU executor: each must land on its own device, not all on 0.
        List<Integer> devices = new ArrayList<>();
        for (String address : List.of("0", "1", "2", "3")) {
            devices.add(GpuDevice.index(List.of(address), 4).getAsInt());
        }
        assertEquals(List.of(0, 1, 2, 3), devices);
    }

    @Test
    void severalAddressesTrainOnTheFirst() {
        assertEquals(OptionalInt.of(2), GpuDevice.index(List.of("2", "0"), 4));
    }

    @Test
    void anAddressBeyondTheDevicesNamesItAndTheCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuDevice.index(List.of("2"), 2));
        assertTrue(e.getMessage().contains("\"2\""), e.getMessage());
        assertTrue(e.getMessage().contains("ND4J sees 2 CUDA device(s), 0..1"), e.getMessage());
        assertTrue(e.getMessage().contains("CUDA_VISIBLE_DEVICES"), e.getMessage());
    }

    @Test
    void everyAddressIsCheckedNotOnlyTheOneUsed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuDevice.index(List.of("0", "7"), 2));
        assertTrue(e.getMessage().contains("\"7\""), e.getMessage());
    }

    @Test
    void anAddressTooLargeForAnIntIsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuDevice.index(List.of("99999999999999999999"), 8));
        assertTrue(e.getMessage().contains("\"99999999999999999999\""), e.getMessage());
        assertTrue(e.getMessage().contains("ND4J sees 8 CUDA device(s)"), e.getMessage());
    }

    @Test
    void noDevicesAtAllIsAnErrorWhenAGpuWasAssigned() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuDevice.index(List.of("0"), 0));
        assertTrue(e.getMessage().contains("\"0\""), e.getMessage());
        assertTrue(e.getMessage().contains("ND4J sees no CUDA device"), e.getMessage());
    }

    @Test
    void nonNumericAddressesAreRefusedWithTheAddressAndTheCount() {
        for (String address : Arrays.asList("GPU-5a3c1e2f-0000", "-1", "+1", "1.0", "", "0x1", null)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GpuDevice.index(Arrays.asList(address), 2), String.valueOf(address));
            assertTrue(e.getMessage().contains("\"" + address + "\""), e.getMessage());
            assertTrue(e.getMessage().contains("not a device index"), e.getMessage());
            assertTrue(e.getMessage().contains("ND4J sees 2 CUDA device(s)"), e.getMessage());
        }
    }

    @Test
    void bindingSetsTheDeviceOfTheCallingThread() {
        RecordingAffinity affinity = new RecordingAffinity(4);
        assertEquals(OptionalInt.of(3), GpuDevice.bindCurrentThread(List.of("3"), false, affinity));
        assertEquals(List.of(3), affinity.set);
    }

    @Test
    void bindingRefusesAnOutOfRangeAddressBeforeTouchingTheDevice() {
        RecordingAffinity affinity = new RecordingAffinity(1);
        assertThrows(IllegalArgumentException.class,
                () -> GpuDevice.bindCurrentThread(List.of("1"), false, affinity));
        assertEquals(List.of(), affinity.set);
    }

    @Test
    void bindingWithoutAddressesChangesNothing() {
        RecordingAffinity affinity = new RecordingAffinity(4);
        assertEquals(OptionalInt.empty(), GpuDevice.bindCurrentThread(List.of(), false, affinity));
        assertEquals(List.of(), affinity.set);
    }

    @Test
    void theCpuBackendTrainsOnTheCpuWhateverSparkAssigned() {
        // The CPU backend sees one "device", so address 1 of a 2-GPU node would be out of range: it must not fail.
        RecordingAffinity affinity = new RecordingAffinity(1);
        assertEquals(OptionalInt.empty(), GpuDevice.bindCurrentThread(List.of("1"), true, affinity));
        assertEquals(List.of(), affinity.set);
    }

    @Test
    void theRealCpuBackendOfTheTestsIsLeftAsItIs() throws Exception {
        // The tests run ND4J's CPU backend: binding through Nd4j itself must be a harmless no-op there, on a fresh
        // thread like a Spark task's, and arrays created afterwards work as before.
        assertTrue(Nd4j.getEnvironment().isCPU(), "these tests expect ND4J's CPU backend");
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<OptionalInt> bound = thread.submit(() -> GpuDevice.bindCurrentThread(List.of("1")));
            assertEquals(OptionalInt.empty(), bound.get());
            Future<Double> sum = thread.submit(() -> Nd4j.create(new float[] {1, 2, 3}).sumNumber().doubleValue());
            assertEquals(6.0, sum.get(), 0.0);
            assertEquals(OptionalInt.empty(), thread.submit(() -> GpuDevice.bindCurrentThread(List.of())).get());
        } finally {
            thread.shutdownNow();
        }
    }

    /** An affinity manager with a chosen number of devices that records the devices threads are bound to. */
    private static final class RecordingAffinity extends BasicAffinityManager {
        private final int devices;
        final List<Integer> set = new ArrayList<>();

        RecordingAffinity(int devices) {
            this.devices = devices;
        }

        @Override
        public int getNumberOfDevices() {
            return devices;
        }

        @Override
        public void unsafeSetDevice(Integer device) {
            set.add(device);
        }

        @Override
        public void touch(INDArray array) {
        }

        @Override
        public void touch(DataBuffer buffer) {
        }
    }
}
