package io.averon.ps.wire;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Round trips of every frame type through the generated codecs, the structural checks of {@link FrameGate}, and the
 * bulk float payload, over plain buffers (no Aeron). Frames are written at a non-zero offset to catch code that
 * ignores it; byte layouts are asserted field by field (version 1's fields where they always were, version 2's MAC
 * and nonce fields after them) so that today's peers keep reading them.
 */
class WireFlyweightTest
{
    private static final int OFFSET = 24;
    private static final int HEADER = MessageHeaderEncoder.ENCODED_LENGTH;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final FrameGate frames = new FrameGate();

    @Test
    void headerIsSbeLayoutLittleEndian()
    {
        final int length = HEADER + new LeaveEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(3).sessionKey(9).encodedLength();
        final ByteBuffer bytes = ByteBuffer.wrap(buffer.byteArray(), OFFSET, length).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(32, bytes.getShort());
        assertEquals(6, bytes.getShort());
        assertEquals(0x4156, bytes.getShort());
        assertEquals(WireSchema.VERSION, bytes.getShort());
        assertEquals(3, bytes.getInt());
        bytes.getInt();
        assertEquals(9, bytes.getLong());
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(FrameStatus.OK, frames.checkBody());
    }

    @Test
    void versionOneFieldsStayPutAndVersionTwoAppendsNoncesAndMacs()
    {
        assertEquals(48, RegisterEncoder.BLOCK_LENGTH);
        assertEquals(16, RegisterEncoder.clientNonceEncodingOffset());
        assertEquals(32, RegisterEncoder.proofEncodingOffset());
        assertEquals(88, WelcomeEncoder.BLOCK_LENGTH);
        assertEquals(40, WelcomeEncoder.serverNonceEncodingOffset());
        assertEquals(72, WelcomeEncoder.macEncodingOffset());
        assertEquals(40, RejectEncoder.BLOCK_LENGTH);
        assertEquals(24, RejectEncoder.macEncodingOffset());
        assertEquals(64, GradientChunkEncoder.BLOCK_LENGTH);
        assertEquals(44, GradientChunkEncoder.floatCountEncodingOffset());
        assertEquals(48, GradientChunkEncoder.macEncodingOffset());
        assertEquals(56, ParamsChunkEncoder.BLOCK_LENGTH);
        assertEquals(40, ParamsChunkEncoder.macEncodingOffset());
        assertEquals(32, LeaveEncoder.BLOCK_LENGTH);
        assertEquals(32, LeaveAckEncoder.BLOCK_LENGTH);
        assertEquals(FrameMac.LENGTH, GradientChunkEncoder.macLength());
        assertEquals(RunSecret.NONCE_LENGTH, RegisterEncoder.clientNonceLength());
        assertEquals(java.util.List.of(1, 2, 3, 4, 5, 6, 7), java.util.List.of(RegisterEncoder.TEMPLATE_ID, WelcomeEncoder.TEMPLATE_ID,
            RejectEncoder.TEMPLATE_ID, GradientChunkEncoder.TEMPLATE_ID, ParamsChunkEncoder.TEMPLATE_ID,
            LeaveEncoder.TEMPLATE_ID, LeaveAckEncoder.TEMPLATE_ID));
        assertEquals(0x4156, WireSchema.SCHEMA_ID);
        assertEquals(1024, WireSchema.MAX_VAR_DATA_LENGTH);
    }

    @Test
    void everyReadVersionHasABlockLengthForEveryTemplate()
    {
        for (int version = WireSchema.OLDEST_SUPPORTED_VERSION; version <= WireSchema.VERSION + 1; version++)
        {
            for (int templateId = 1; templateId <= 7; templateId++)
            {
                assertTrue(WireSchema.blockLength(templateId, version) > 0,
                    "template " + templateId + " version " + version);
            }
        }
    }

    @Test
    void registerRoundTripCarriesAProofAndNoToken()
    {
        final byte[] nonce = new byte[RunSecret.NONCE_LENGTH];
        nonce[3] = 42;
        final int length = HEADER + new RegisterEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(12)
            .correlationId(-77L)
            .putClientNonce(nonce, 0, nonce.length)
            .putToken(new byte[0], 0, 0)
            .replyEndpoint("127.0.0.1:40123")
            .encodedLength();
        assertEquals(8 + 48 + 2 + 0 + 2 + 15, length);
        final RunSecret secret = new RunSecret("s3cret");
        secret.registrationMac().signFrame(
            buffer, OFFSET, length, OFFSET + HEADER + RegisterEncoder.proofEncodingOffset());
        final String frameText = new String(buffer.byteArray(), OFFSET, length, StandardCharsets.ISO_8859_1);
        assertFalse(frameText.contains("s3cret"), "the token never travels");
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(RegisterEncoder.TEMPLATE_ID, frames.templateId());
        assertEquals(FrameStatus.OK, frames.checkBody());

        final RegisterDecoder decoder = frames.wrap(new RegisterDecoder());
        assertEquals(12, decoder.workerId());
        assertEquals(-77L, decoder.correlationId());
        final byte[] receivedNonce = new byte[RunSecret.NONCE_LENGTH];
        decoder.getClientNonce(receivedNonce, 0, receivedNonce.length);
        assertArrayEquals(nonce, receivedNonce);
        final UnsafeBuffer received = new UnsafeBuffer(new byte[0]);
        decoder.wrapToken(received);
        assertEquals(0, received.capacity());
        assertEquals("127.0.0.1:40123", decoder.replyEndpoint());
        final int proofOffset = OFFSET + HEADER + RegisterEncoder.proofEncodingOffset();
        assertTrue(secret.registrationMac().verifyFrame(buffer, OFFSET, length, proofOffset));
        assertFalse(new RunSecret("s3cres").registrationMac().verifyFrame(buffer, OFFSET, length, proofOffset));
        buffer.putByte(OFFSET + length - 1, (byte)'4'); // the claimed reply endpoint is covered by the proof
        assertFalse(secret.registrationMac().verifyFrame(buffer, OFFSET, length, proofOffset));
        buffer.putByte(OFFSET + length - 1, (byte)'3');

        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length - 1));
        assertEquals(FrameStatus.TRUNCATED, frames.checkBody());
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length + 1));
        assertEquals(FrameStatus.LENGTH_MISMATCH, frames.checkBody());
        // A forged token length that points past the frame, then one beyond the schema's bound.
        buffer.putShort(OFFSET + 8 + 48, (short)900, ByteOrder.LITTLE_ENDIAN);
        frames.checkHeader(buffer, OFFSET, length);
        assertEquals(FrameStatus.TRUNCATED, frames.checkBody());
        buffer.putShort(OFFSET + 8 + 48, (short)60000, ByteOrder.LITTLE_ENDIAN);
        frames.checkHeader(buffer, OFFSET, length);
        assertEquals(FrameStatus.LENGTH_MISMATCH, frames.checkBody());
    }

    @Test
    void welcomeRoundTrip()
    {
        final int length = HEADER + new WelcomeEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(4).parameterCount(25_000_000).correlationId(5).sessionKey(0x1122334455667788L)
            .step(1234567890123L).stepDeadlineMs(30_000).encodedLength();
        assertEquals(8 + 88, length);
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(FrameStatus.OK, frames.checkBody());
        final WelcomeDecoder decoder = frames.wrap(new WelcomeDecoder());
        assertEquals(4, decoder.workerId());
        assertEquals(25_000_000, decoder.parameterCount());
        assertEquals(5, decoder.correlationId());
        assertEquals(0x1122334455667788L, decoder.sessionKey());
        assertEquals(1234567890123L, decoder.step());
        assertEquals(30_000, decoder.stepDeadlineMs());
        frames.checkHeader(buffer, OFFSET, length + 4);
        assertEquals(FrameStatus.LENGTH_MISMATCH, frames.checkBody());
    }

    @Test
    void rejectRoundTripWithUtf8ReasonAndUnknownRefusal()
    {
        final String reason = "token rejected – übel";
        final byte[] reasonBytes = WireSchema.varText(reason);
        final RejectEncoder encoder = new RejectEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(2).refusal(Refusal.EVICTED).correlationId(0).sessionKey(-5)
            .putReason(reasonBytes, 0, reasonBytes.length);
        final int length = HEADER + encoder.encodedLength();
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(FrameStatus.OK, frames.checkBody());
        final RejectDecoder decoder = frames.wrap(new RejectDecoder());
        assertEquals(2, decoder.workerId());
        assertEquals(Refusal.EVICTED, decoder.refusal());
        assertEquals(-5, decoder.sessionKey());
        assertEquals(reason, decoder.reason());
        frames.checkHeader(buffer, OFFSET, length - 1);
        assertEquals(FrameStatus.TRUNCATED, frames.checkBody());

        // A refusal code a newer server may add decodes as SBE_UNKNOWN rather than throwing in the client.
        encoder.refusal(Refusal.EVICTED);
        buffer.putInt(OFFSET + 8 + 4, 42, ByteOrder.LITTLE_ENDIAN);
        assertEquals(Refusal.SBE_UNKNOWN, frames.wrap(new RejectDecoder()).refusal());
    }

    @Test
    void longReasonsAreCutToTheSchemaBound()
    {
        final byte[] cut = WireSchema.varText("x".repeat(5000));
        assertEquals(WireSchema.MAX_VAR_DATA_LENGTH, cut.length);
        final byte[] huge = new byte[WireSchema.MAX_VAR_DATA_LENGTH + 1];
        assertThrows(IllegalStateException.class,
            () -> new RegisterEncoder().wrapAndApplyHeader(buffer, 0, headerEncoder).putToken(huge, 0, huge.length));
    }

    @Test
    void gradientChunkRoundTripAndPayloadChecks()
    {
        final float[] source = { 0f, -1.5f, Float.MIN_VALUE, Float.MAX_VALUE, 3.25f, 42f };
        final GradientChunkEncoder encoder = new GradientChunkEncoder()
            .wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(9).batchSize(64).sessionKey(77).step(10).loss(0.125)
            .chunkIndex(2).chunkCount(5).floatOffset(1000).floatCount(4);
        FloatPayload.put(buffer, encoder.limit(), source, 1, 4);
        final int length = HEADER + encoder.encodedLength() + 16;
        assertEquals(8 + 64 + 16, length);
        for (int i = 0; i < 4; i++)
        {
            assertEquals(source[1 + i], buffer.getFloat(OFFSET + 8 + 64 + 4 * i, ByteOrder.LITTLE_ENDIAN));
        }
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(FrameStatus.OK, frames.checkBody());

        final GradientChunkDecoder decoder = frames.wrap(new GradientChunkDecoder());
        assertEquals(9, decoder.workerId());
        assertEquals(64, decoder.batchSize());
        assertEquals(77, decoder.sessionKey());
        assertEquals(10, decoder.step());
        assertEquals(0.125, decoder.loss());
        assertEquals(2, decoder.chunkIndex());
        assertEquals(5, decoder.chunkCount());
        assertEquals(1000, decoder.floatOffset());
        assertEquals(4, decoder.floatCount());
        final float[] destination = new float[6];
        assertEquals(-1, FloatPayload.getFinite(buffer, decoder.limit(), destination, 2, 4));
        assertArrayEquals(new float[] { 0, 0, -1.5f, Float.MIN_VALUE, Float.MAX_VALUE, 3.25f }, destination);

        frames.checkHeader(buffer, OFFSET, length - 4);
        assertEquals(FrameStatus.TRUNCATED, frames.checkBody());
        frames.checkHeader(buffer, OFFSET, length + 4);
        assertEquals(FrameStatus.LENGTH_MISMATCH, frames.checkBody());

        final float[] poison = { 1f, Float.POSITIVE_INFINITY, Float.NaN };
        FloatPayload.put(buffer, decoder.limit(), poison, 0, 3);
        assertEquals(1, FloatPayload.getFinite(buffer, decoder.limit(), new float[3], 0, 3));

        encoder.floatCount(-1);
        frames.checkHeader(buffer, OFFSET, 8 + 48);
        assertEquals(FrameStatus.LENGTH_MISMATCH, frames.checkBody());
    }

    @Test
    void floatPayloadKeepsEveryBitInHeapAndDirectBuffers()
    {
        final float[] source = new float[1000];
        for (int i = 0; i < source.length; i++)
        {
            source[i] = Float.intBitsToFloat(0x7FC0_0001 + i * 7919); // NaN payloads and ordinary values alike
        }
        source[3] = -0.0f;
        for (final UnsafeBuffer target : new UnsafeBuffer[] {
            new UnsafeBuffer(new byte[5000]), new UnsafeBuffer(ByteBuffer.allocateDirect(5000)) })
        {
            FloatPayload.put(target, 7, source, 0, source.length);
            for (int i = 0; i < source.length; i++)
            {
                assertEquals(Float.floatToRawIntBits(source[i]), target.getInt(7 + 4 * i, ByteOrder.LITTLE_ENDIAN));
            }
            final float[] back = new float[source.length + 2];
            FloatPayload.get(target, 7, back, 2, source.length);
            for (int i = 0; i < source.length; i++)
            {
                assertEquals(Float.floatToRawIntBits(source[i]), Float.floatToRawIntBits(back[2 + i]));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> FloatPayload.put(target, 5000 - 8, source, 0, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> FloatPayload.get(target, 0, new float[2], 1, 2));
        }
    }

    @Test
    void paramsChunkRoundTrip()
    {
        final float[] source = new float[100];
        for (int i = 0; i < source.length; i++)
        {
            source[i] = Float.intBitsToFloat(0x3F80_0000 + i);
        }
        final ParamsChunkEncoder encoder = new ParamsChunkEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .sessionKey(-1).step(3).parameterCount(100).chunkIndex(0).chunkCount(1).floatOffset(0).floatCount(100);
        FloatPayload.put(buffer, encoder.limit(), source, 0, 100);
        final int length = HEADER + encoder.encodedLength() + 400;
        assertEquals(8 + 56 + 400, length);
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(FrameStatus.OK, frames.checkBody());
        final ParamsChunkDecoder decoder = frames.wrap(new ParamsChunkDecoder());
        assertEquals(-1, decoder.sessionKey());
        assertEquals(3, decoder.step());
        assertEquals(100, decoder.parameterCount());
        assertEquals(1, decoder.chunkCount());
        final float[] destination = new float[100];
        FloatPayload.get(buffer, decoder.limit(), destination, 0, decoder.floatCount());
        assertArrayEquals(source, destination);
        frames.checkHeader(buffer, OFFSET, length - 1);
        assertEquals(FrameStatus.TRUNCATED, frames.checkBody());
    }

    @Test
    void leaveAndAckRoundTrip()
    {
        int length = HEADER + new LeaveEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(8).sessionKey(99).encodedLength();
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(FrameStatus.OK, frames.checkBody());
        final LeaveDecoder leave = frames.wrap(new LeaveDecoder());
        assertEquals(8, leave.workerId());
        assertEquals(99, leave.sessionKey());

        length = HEADER + new LeaveAckEncoder().wrapAndApplyHeader(buffer, OFFSET, headerEncoder)
            .workerId(8).sessionKey(98).encodedLength();
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, length));
        assertEquals(LeaveAckEncoder.TEMPLATE_ID, frames.templateId());
        assertEquals(98, frames.wrap(new LeaveAckDecoder()).sessionKey());
    }

    @Test
    void headerCheckRejectsEveryStructuralDefect()
    {
        assertEquals(FrameStatus.TRUNCATED, frames.checkHeader(buffer, OFFSET, 7));
        assertEquals(-1, frames.templateId());

        header(32, LeaveEncoder.TEMPLATE_ID, 0x9999, 1);
        assertEquals(FrameStatus.UNKNOWN_SCHEMA, frames.checkHeader(buffer, OFFSET, 64));
        assertEquals(0x9999, frames.schemaId());

        header(16, LeaveEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID, WireSchema.OLDEST_SUPPORTED_VERSION - 1);
        assertEquals(FrameStatus.UNSUPPORTED_VERSION, frames.checkHeader(buffer, OFFSET, 64)); // version 1: no MACs

        header(32, 200, WireSchema.SCHEMA_ID, WireSchema.VERSION);
        assertEquals(FrameStatus.UNKNOWN_TEMPLATE, frames.checkHeader(buffer, OFFSET, 64));

        header(16, LeaveEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID, WireSchema.VERSION);
        assertEquals(FrameStatus.BAD_BLOCK_LENGTH, frames.checkHeader(buffer, OFFSET, 64)); // a version 1 block
        header(40, LeaveEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID, WireSchema.VERSION);
        assertEquals(FrameStatus.BAD_BLOCK_LENGTH, frames.checkHeader(buffer, OFFSET, 64)); // same version: exact
        header(24, LeaveEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID, WireSchema.VERSION + 1);
        assertEquals(FrameStatus.BAD_BLOCK_LENGTH, frames.checkHeader(buffer, OFFSET, 64)); // newer: at least ours
        header(40, LeaveEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID, WireSchema.VERSION + 1);
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, 8 + 40));

        header(32, LeaveEncoder.TEMPLATE_ID, WireSchema.SCHEMA_ID, WireSchema.VERSION);
        assertEquals(FrameStatus.TRUNCATED, frames.checkHeader(buffer, OFFSET, 8 + 32 - 1));
        assertEquals(FrameStatus.OK, frames.checkHeader(buffer, OFFSET, 8 + 32));
    }

    @Test
    void incompatibilityNamesBothSchemasAndVersions()
    {
        final String text = WireSchema.incompatibility(0x0BAD, 3);
        assertTrue(text.contains("schema 0xbad version 3"), text);
        assertTrue(text.contains("schema 0x4156 versions " + WireSchema.OLDEST_SUPPORTED_VERSION + " to " +
            WireSchema.VERSION), text);
    }

    private void header(final int blockLength, final int templateId, final int schemaId, final int version)
    {
        headerEncoder.wrap(buffer, OFFSET).blockLength(blockLength).templateId(templateId).schemaId(schemaId)
            .version(version);
    }
}
