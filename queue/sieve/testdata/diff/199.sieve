# 199: body :raw does not decode
require ["fileinto", "body"];
if body :raw :contains "Café" { fileinto "Decoded"; } else { fileinto "Undecoded"; }
