# 430: body :raw of a single-part message
require ["fileinto", "body"];
if body :raw :contains "VGhlIGludm9pY2" { fileinto "RawB64"; }
