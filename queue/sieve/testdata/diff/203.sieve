# 203: body :content application/pdf decodes
require ["fileinto", "body"];
if body :content "application/pdf" :contains "pdf-marker" { fileinto "Pdf"; } else { fileinto "No"; }
