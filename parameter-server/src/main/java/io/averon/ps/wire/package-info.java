/**
 * The one versioned wire schema of the parameter server: SBE-style hand-written encoder and decoder flyweights over
 * Agrona buffers, little-endian, allocation-free on the chunk path. See {@link io.averon.ps.wire.WireSchema}.
 */
package io.averon.ps.wire;
