# 207: body :matches
require ["fileinto", "body"];
if body :matches "*Tuesday*" { fileinto "M"; }
