# 539: body :text skips a part with an unknown transfer encoding (RFC 2045 §6.4)
require ["fileinto", "body"];
if body :text :contains "secret-marker" { fileinto "Seen"; } else { fileinto "Skipped"; }
