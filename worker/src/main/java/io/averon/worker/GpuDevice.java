package io.averon.worker;

import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * Which CUDA device a worker trains on: the GPU addresses Spark assigned to its task (the {@code gpu} resource,
 * found on each executor by {@code spark.executor.resource.gpu.discoveryScript}) turned into an ND4J device index,
 * checked against the devices ND4J sees, and bound to the calling thread. Without this every task of an executor
 * would start on whatever device ND4J picks for a new thread, so two tasks could share one GPU while another idles
 * and Spark's GPU accounting would be fiction. With no GPU assigned, or ND4J's CPU backend loaded, nothing changes.
 */
public final class GpuDevice {
    private static final Logger LOG = LoggerFactory.getLogger(GpuDevice.class);

    /** Spark's name of the resource, as in {@code spark.task.resource.gpu.amount}. */
    public static final String RESOURCE = "gpu";

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");

    private GpuDevice() {
    }

    /**
     * The device for a task's GPU addresses: the first address as an index, after every address was checked to be a
     * device ND4J sees. A task asking for more than one GPU still trains on one, as ND4J binds a thread to a single
     * device.
     *
     * @param addresses   the addresses Spark assigned to the task, empty when it assigned none
     * @param deviceCount the number of devices ND4J sees
     * @return the device index, or empty when no GPU was assigned
     * @throws IllegalArgumentException naming the address and the device count when an address is not a device
     */
    public static OptionalInt index(List<String> addresses, int deviceCount) {
        if (addresses == null || addresses.isEmpty()) {
            return OptionalInt.empty();
        }
        int first = -1;
        for (String address : addresses) {
            int device = parse(address, deviceCount);
            if (first < 0) {
                first = device;
            }
        }
        return OptionalInt.of(first);
    }

    /**
     * Binds the calling thread to the device of the task's GPU addresses, before it creates any ND4J array: ND4J
     * keeps a thread's arrays on the device the thread was bound to when they were allocated.
     *
     * @return the device the thread is now bound to, or empty when it was left as it was (no GPU assigned, or the CPU
     *         backend)
     * @throws IllegalArgumentException when an address is not one of ND4J's devices
     */
    public static OptionalInt bindCurrentThread(List<String> addresses) {
        if (addresses == null || addresses.isEmpty()) {
            // Checked before touching Nd4j, so a task without GPUs does not even ask which backend is loaded.
            return OptionalInt.empty();
        }
        return bindCurrentThread(addresses, Nd4j.getEnvironment().isCPU(), Nd4j.getAffinityManager());
    }

    /** {@link #bindCurrentThread(List)} with the backend passed in, so the binding is testable without a GPU. */
    static OptionalInt bindCurrentThread(List<String> addresses, boolean cpuBackend, AffinityManager affinity) {
        if (addresses == null || addresses.isEmpty()) {
            return OptionalInt.empty();
        }
        if (cpuBackend) {
            // The CPU backend reports one device whatever the machine has, so address "1" would look out of range:
            // a CPU jar on a GPU cluster must still train, on the CPU.
            LOG.warn("Spark assigned GPU {} to this task but ND4J runs its CPU backend; training on the CPU (the jar "
                    + "was built without -Pcuda, or ND4J found no usable CUDA device or driver: see its log)",
                    addresses);
            return OptionalInt.empty();
        }
        OptionalInt device = index(addresses, affinity.getNumberOfDevices());
        if (addresses.size() > 1) {
            LOG.warn("Spark assigned {} GPUs {} to this task; a worker trains on one, device {}", addresses.size(),
                    addresses, device.getAsInt());
        }
        affinity.unsafeSetDevice(device.getAsInt());
        LOG.info("thread {} bound to CUDA device {} (Spark GPU address {})", Thread.currentThread().getName(),
                device.getAsInt(), addresses.get(0));
        return device;
    }

    private static int parse(String address, int deviceCount) {
        String seen = deviceCount <= 0 ? "ND4J sees no CUDA device"
                : "ND4J sees " + deviceCount + " CUDA device(s), 0.." + (deviceCount - 1);
        String trimmed = address == null ? "" : address.strip();
        if (!DIGITS.matcher(trimmed).matches()) {
            throw new IllegalArgumentException("Spark assigned GPU address \"" + address + "\" to this task, which is "
                    + "not a device index (" + seen + "); the discovery script must report indices, as "
                    + "deploy/gpu-discovery.sh does");
        }
        int device;
        try {
            device = Integer.parseInt(trimmed);
        } catch (NumberFormatException tooLarge) {
            device = Integer.MAX_VALUE;
        }
        if (device >= deviceCount) {
            throw new IllegalArgumentException("Spark assigned GPU address \"" + address + "\" to this task but "
                    + seen + "; the discovery script and the executor's CUDA_VISIBLE_DEVICES must agree on the "
                    + "devices");
        }
        return device;
    }
}
