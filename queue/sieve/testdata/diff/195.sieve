# 195: body :text decodes quoted-printable
require ["fileinto", "body"];
if body :text :contains "Café meeting" { fileinto "QP"; } else { fileinto "No"; }
