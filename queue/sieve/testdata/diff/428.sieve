# 428: multipart part without Content-Type is text/plain (RFC 2046 §5.1)
require ["fileinto", "body"];
if body :content "text/plain" :contains "implicit-text-plain" { fileinto "Default"; } else { fileinto "No"; }
