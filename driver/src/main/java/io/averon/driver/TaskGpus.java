package io.averon.driver;

import io.averon.worker.GpuDevice;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.List;
import java.util.Map;

/**
 * The GPU addresses Spark assigned to the running task ({@code spark.task.resource.gpu.amount}), read where the task
 * runs and handed to the worker, which keeps no Spark dependency. A task of an application that asked for no GPUs,
 * or code running outside a task, gets none.
 */
final class TaskGpus {
    private TaskGpus() {
    }

    /** The calling task's GPU addresses; empty outside a Spark task or when it was assigned none. */
    static List<String> current() {
        TaskContext context = TaskContext.get();
        return context == null ? List.of() : of(context.resourcesJMap());
    }

    /** The GPU addresses in a task's resource map, in Spark's order. */
    static List<String> of(Map<String, ResourceInformation> resources) {
        ResourceInformation gpus = resources == null ? null : resources.get(GpuDevice.RESOURCE);
        return gpus == null || gpus.addresses() == null ? List.of() : List.of(gpus.addresses());
    }
}
