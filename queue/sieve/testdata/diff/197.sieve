# 197: body :text does not see the attachment
require ["fileinto", "body"];
if body :text :contains "pdf-marker" { fileinto "Attach"; } else { fileinto "NoAttach"; }
