# 381: body :raw sees MIME boundaries
require ["fileinto", "body"];
if body :raw :contains "--inner--" { fileinto "Boundary"; }
