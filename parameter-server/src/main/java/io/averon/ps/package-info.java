/**
 * Averon's synchronous parameter server over Aeron UDP and its client. {@link io.averon.ps.ParameterServer} holds
 * the authoritative parameters and applies one batch-weighted, order-fixed average of the workers' gradients per
 * step through an {@link io.averon.ps.UpdateRule}; {@link io.averon.ps.ParameterServerClient} is what a worker uses to
 * register, exchange a gradient for new parameters, and leave. No Spark, no datasets.
 */
package io.averon.ps;
