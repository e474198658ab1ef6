package io.averon.worker.image;

/** STUB replaced by the decoder branch. */
public final class ImageDecoder {
    public ImageDecoder(int channels, long maxPixels, int maxSide) { }
    public PixelImage decode(byte[] bytes, String name) throws BadImageException { throw new BadImageException(BadImageException.Reason.UNSUPPORTED, name, "stub"); }
    public PixelImage decodeMask(byte[] bytes, String name) throws BadImageException { throw new BadImageException(BadImageException.Reason.UNSUPPORTED, name, "stub"); }
    public static void requireSameSize(PixelImage image, PixelImage mask, String maskName) throws BadImageException { }
}
