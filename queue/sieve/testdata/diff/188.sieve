# 188: encoded-character hex UTF-8 bytes
require ["fileinto", "encoded-character"];
if header :contains "subject" "F${hex:C3 BC}r" { fileinto "Fuer"; }
