# 198: body :raw sees the undecoded base64
require ["fileinto", "body"];
if body :raw :contains "R3L832UgYXVz" { fileinto "Raw"; } else { fileinto "No"; }
