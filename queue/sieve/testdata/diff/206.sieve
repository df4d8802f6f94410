# 206: body quoted-printable charset decoding
require ["fileinto", "body"];
if body :contains "Grüße aus Köln" { fileinto "Koeln"; } else { fileinto "No"; }
