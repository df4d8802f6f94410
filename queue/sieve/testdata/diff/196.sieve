# 196: body :text decodes base64 and charset
require ["fileinto", "body"];
if body :text :contains "Grüße aus München" { fileinto "B64"; } else { fileinto "No"; }
