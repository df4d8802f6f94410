# 540: body :raw still sees a part with an unknown transfer encoding
require ["fileinto", "body"];
if body :raw :contains "secret-marker" { fileinto "Seen"; } else { fileinto "Skipped"; }
