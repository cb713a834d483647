"""Reading EPC QR codes back from a rendered PDF, as a phone would from the paper: PDFium
rasterises the page in grey levels, ZXing finds and decodes the codes."""

import pypdfium2
import zxingcpp


def qr_codes(pdf: bytes, *, page: int = 0, scale: float = 2.0) -> list:
    """The QR codes of a page (zxingcpp Barcode objects: .bytes, .ec_level...)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=scale, grayscale=True)
        width, height, stride = bitmap.width, bitmap.height, bitmap.stride
        channels = bitmap.n_channels
        buffer = bytes(bitmap.buffer)
    finally:
        document.close()
    rows = b"".join(
        buffer[y * stride : y * stride + width * channels : channels] for y in range(height)
    )
    image = memoryview(rows).cast("B", (height, width))
    return [
        code
        for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        if code.valid
    ]


def qr_payloads(pdf: bytes, **kwargs) -> list[str]:
    return [code.bytes.decode("utf-8") for code in qr_codes(pdf, **kwargs)]
