package io.averon.dl4j.spark;

import io.averon.worker.ModelDefinition;
import io.averon.worker.WorkerAssignment;

import java.io.Serializable;

/**
 * What each task of a fit's barrier stage needs besides its partition: where the parameter server listens and the
 * secret that admits it, the network, and the step the fit began at (a retried stage skips the steps already taken).
 *
 * @param serverEndpoint    "host:port" of the parameter server
 * @param token             the fit's secret, checked at registration
 * @param aeronDirectory    the server's media driver to share (local mode), or null to start one per task
 * @param model             the network's DL4J configuration
 * @param startStep         the server's step when the fit began: batch b of every worker belongs to startStep + b
 * @param epoch             the network's epoch count, for the log
 * @param connectTimeoutMs  how long to wait for the server at registration
 * @param responseTimeoutMs how long to wait for the parameters of the next step
 * @param transport         Aeron channel settings shared with the server
 */
record StepAssignment(String serverEndpoint, String token, String aeronDirectory, ModelDefinition model,
                      long startStep, int epoch, long connectTimeoutMs, long responseTimeoutMs,
                      WorkerAssignment.Transport transport) implements Serializable {
}
