# 541: multipart/digest part defaults to message/rfc822 (RFC 2046 §5.1.5), whose body is text/plain
require ["fileinto", "body"];
if body :content "text/plain" :contains "digest-marker" { fileinto "AsText"; } else { fileinto "NotText"; }
