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
 * Encode/decode round trips of every frame type and the structural checks, over plain buffers (no Aeron). Frames are
 * written at a non-zero offset to catch decoders that ignore it.
 */
class WireFlyweightTest
{
    private static final int OFFSET = 24;
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();

    @Test
    void headerIsSbeLayoutLittleEndian()
    {
        final int length = new LeaveEncoder().wrapAndApplyHeader(buffer, OFFSET).workerId(3).sessionKey(9).encodedLength();
        final ByteBuffer bytes = ByteBuffer.wrap(buffer.byteArray(), OFFSET, length).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(LeaveEncoder.BLOCK_LENGTH, bytes.getShort());
        assertEquals(LeaveEncoder.TEMPLATE_ID, bytes.getShort());
        assertEquals(WireSchema.SCHEMA_ID, bytes.getShort());
        assertEquals(WireSchema.VERSION, bytes.getShort());
        assertEquals(3, bytes.getInt());
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));
    }

    @Test
    void registerRoundTripAndTokenComparison()
    {
        final int length = new RegisterEncoder().wrapAndApplyHeader(buffer, OFFSET)
            .workerId(12)
            .correlationId(-77L)
            .token("s3cret".getBytes(StandardCharsets.UTF_8))
            .replyEndpoint("127.0.0.1:40123".getBytes(StandardCharsets.US_ASCII))
            .encodedLength();
        assertEquals(8 + RegisterEncoder.BLOCK_LENGTH + 2 + 6 + 2 + 15, length);
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));
        assertEquals(RegisterEncoder.TEMPLATE_ID, header.templateId());

        final RegisterDecoder decoder = new RegisterDecoder();
        assertEquals(FrameStatus.OK, decoder.wrap(buffer, OFFSET, length));
        assertEquals(12, decoder.workerId());
        assertEquals(-77L, decoder.correlationId());
        assertEquals("127.0.0.1:40123", decoder.replyEndpoint());
        assertTrue(decoder.tokenEquals("s3cret".getBytes(StandardCharsets.UTF_8)));
        assertFalse(decoder.tokenEquals("s3cres".getBytes(StandardCharsets.UTF_8)));
        assertFalse(decoder.tokenEquals("s3cret!".getBytes(StandardCharsets.UTF_8)));
        assertFalse(decoder.tokenEquals("s3cre".getBytes(StandardCharsets.UTF_8)));

        assertEquals(FrameStatus.TRUNCATED, decoder.wrap(buffer, OFFSET, length - 1));
        assertEquals(FrameStatus.LENGTH_MISMATCH, decoder.wrap(buffer, OFFSET, length + 1));
        // A forged token length that points past the frame.
        buffer.putShort(OFFSET + 8 + RegisterEncoder.BLOCK_LENGTH, (short)900, ByteOrder.LITTLE_ENDIAN);
        assertEquals(FrameStatus.TRUNCATED, decoder.wrap(buffer, OFFSET, length));
        buffer.putShort(OFFSET + 8 + RegisterEncoder.BLOCK_LENGTH, (short)60000, ByteOrder.LITTLE_ENDIAN);
        assertEquals(FrameStatus.LENGTH_MISMATCH, decoder.wrap(buffer, OFFSET, length));
    }

    @Test
    void welcomeRoundTrip()
    {
        final int length = new WelcomeEncoder().wrapAndApplyHeader(buffer, OFFSET)
            .workerId(4).parameterCount(25_000_000).correlationId(5).sessionKey(0x1122334455667788L)
            .step(1234567890123L).stepDeadlineMs(30_000).encodedLength();
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));
        final WelcomeDecoder decoder = new WelcomeDecoder();
        assertEquals(FrameStatus.OK, decoder.wrap(buffer, OFFSET, length));
        assertEquals(4, decoder.workerId());
        assertEquals(25_000_000, decoder.parameterCount());
        assertEquals(5, decoder.correlationId());
        assertEquals(0x1122334455667788L, decoder.sessionKey());
        assertEquals(1234567890123L, decoder.step());
        assertEquals(30_000, decoder.stepDeadlineMs());
        assertEquals(FrameStatus.LENGTH_MISMATCH, decoder.wrap(buffer, OFFSET, length + 4));
    }

    @Test
    void rejectRoundTripWithUtf8Reason()
    {
        final String reason = "token rejected – übel";
        final int length = new RejectEncoder().wrapAndApplyHeader(buffer, OFFSET)
            .workerId(2).refusal(Refusal.EVICTED).correlationId(0).sessionKey(-5).reason(reason).encodedLength();
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));
        final RejectDecoder decoder = new RejectDecoder();
        assertEquals(FrameStatus.OK, decoder.wrap(buffer, OFFSET, length));
        assertEquals(2, decoder.workerId());
        assertEquals(Refusal.EVICTED, decoder.refusal());
        assertEquals(-5, decoder.sessionKey());
        assertEquals(reason, decoder.reason());
        assertEquals(FrameStatus.TRUNCATED, decoder.wrap(buffer, OFFSET, length - 1));
        for (final Refusal refusal : Refusal.values())
        {
            assertEquals(refusal, Refusal.fromCode(refusal.code()));
        }
    }

    @Test
    void gradientChunkRoundTripAndPayloadChecks()
    {
        final float[] source = { 0f, -1.5f, Float.MIN_VALUE, Float.MAX_VALUE, 3.25f, 42f };
        final int length = new GradientChunkEncoder().wrapAndApplyHeader(buffer, OFFSET)
            .workerId(9).batchSize(64).sessionKey(77).step(10).loss(0.125)
            .chunkIndex(2).chunkCount(5).floatOffset(1000)
            .putFloats(source, 1, 4)
            .encodedLength();
        assertEquals(8 + GradientChunkEncoder.BLOCK_LENGTH + 16, length);
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));

        final GradientChunkDecoder decoder = new GradientChunkDecoder();
        assertEquals(FrameStatus.OK, decoder.wrap(buffer, OFFSET, length));
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
        assertEquals(-1, decoder.copyFiniteFloats(destination, 2));
        assertArrayEquals(new float[] { 0, 0, -1.5f, Float.MIN_VALUE, Float.MAX_VALUE, 3.25f }, destination);

        assertEquals(FrameStatus.TRUNCATED, decoder.wrap(buffer, OFFSET, length - 4));
        assertEquals(FrameStatus.LENGTH_MISMATCH, decoder.wrap(buffer, OFFSET, length + 4));

        final int poisonedLength = new GradientChunkEncoder().wrapAndApplyHeader(buffer, OFFSET)
            .putFloats(new float[] { 1f, Float.POSITIVE_INFINITY, Float.NaN }, 0, 3).encodedLength();
        assertEquals(FrameStatus.OK, decoder.wrap(buffer, OFFSET, poisonedLength));
        assertEquals(1, decoder.copyFiniteFloats(new float[3], 0));

        new GradientChunkEncoder().wrapAndApplyHeader(buffer, OFFSET).floatCount(-1);
        assertEquals(FrameStatus.LENGTH_MISMATCH, decoder.wrap(buffer, OFFSET, 8 + GradientChunkEncoder.BLOCK_LENGTH));
    }

    @Test
    void paramsChunkRoundTrip()
    {
        final float[] source = new float[100];
        for (int i = 0; i < source.length; i++)
        {
            source[i] = Float.intBitsToFloat(0x3F80_0000 + i);
        }
        final int length = new ParamsChunkEncoder().wrapAndApplyHeader(buffer, OFFSET)
            .sessionKey(-1).step(3).parameterCount(100).chunkIndex(0).chunkCount(1).floatOffset(0)
            .putFloats(source, 0, 100).encodedLength();
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));
        final ParamsChunkDecoder decoder = new ParamsChunkDecoder();
        assertEquals(FrameStatus.OK, decoder.wrap(buffer, OFFSET, length));
        assertEquals(-1, decoder.sessionKey());
        assertEquals(3, decoder.step());
        assertEquals(100, decoder.parameterCount());
        assertEquals(1, decoder.chunkCount());
        final float[] destination = new float[100];
        decoder.copyFloats(destination, 0);
        assertArrayEquals(source, destination);
        assertEquals(FrameStatus.TRUNCATED, decoder.wrap(buffer, OFFSET, length - 1));
    }

    @Test
    void leaveAndAckRoundTrip()
    {
        int length = new LeaveEncoder().wrapAndApplyHeader(buffer, OFFSET).workerId(8).sessionKey(99).encodedLength();
        final LeaveDecoder leave = new LeaveDecoder();
        assertEquals(FrameStatus.OK, leave.wrap(buffer, OFFSET, length));
        assertEquals(8, leave.workerId());
        assertEquals(99, leave.sessionKey());

        length = new LeaveAckEncoder().wrapAndApplyHeader(buffer, OFFSET).workerId(8).sessionKey(98).encodedLength();
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, length));
        assertEquals(LeaveAckEncoder.TEMPLATE_ID, header.templateId());
        final LeaveAckDecoder ack = new LeaveAckDecoder();
        assertEquals(FrameStatus.OK, ack.wrap(buffer, OFFSET, length));
        assertEquals(98, ack.sessionKey());
    }

    @Test
    void headerCheckRejectsEveryStructuralDefect()
    {
        assertEquals(FrameStatus.TRUNCATED, header.check(buffer, OFFSET, 7));

        MessageHeaderEncoder.encode(buffer, OFFSET, LeaveEncoder.BLOCK_LENGTH, LeaveEncoder.TEMPLATE_ID, 0x9999, 1);
        assertEquals(FrameStatus.UNKNOWN_SCHEMA, header.check(buffer, OFFSET, 64));

        MessageHeaderEncoder.encode(buffer, OFFSET, LeaveEncoder.BLOCK_LENGTH, LeaveEncoder.TEMPLATE_ID,
            WireSchema.SCHEMA_ID, WireSchema.VERSION + 1);
        assertEquals(FrameStatus.UNSUPPORTED_VERSION, header.check(buffer, OFFSET, 64));

        MessageHeaderEncoder.encode(buffer, OFFSET, 16, 200);
        assertEquals(FrameStatus.UNKNOWN_TEMPLATE, header.check(buffer, OFFSET, 64));

        MessageHeaderEncoder.encode(buffer, OFFSET, 12, LeaveEncoder.TEMPLATE_ID);
        assertEquals(FrameStatus.BAD_BLOCK_LENGTH, header.check(buffer, OFFSET, 64));

        MessageHeaderEncoder.encode(buffer, OFFSET, LeaveEncoder.BLOCK_LENGTH, LeaveEncoder.TEMPLATE_ID);
        assertEquals(FrameStatus.TRUNCATED, header.check(buffer, OFFSET, 8 + LeaveEncoder.BLOCK_LENGTH - 1));
        assertEquals(FrameStatus.OK, header.check(buffer, OFFSET, 8 + LeaveEncoder.BLOCK_LENGTH));
    }

    @Test
    void oversizedVarDataIsRefusedAtEncodeTime()
    {
        final byte[] huge = new byte[WireSchema.MAX_VAR_DATA_LENGTH + 1];
        assertThrows(IllegalArgumentException.class,
            () -> new RegisterEncoder().wrapAndApplyHeader(buffer, 0).token(huge));
    }
}
