# 205: body of a quoted-printable single part with soft break
require ["fileinto", "body"];
if body :contains "Soft line break here" { fileinto "Soft"; } else { fileinto "No"; }
