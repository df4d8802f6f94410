# 209: body :text of html-only message
require ["fileinto", "body"];
if body :text :contains "SALE" { fileinto "Sale"; } else { fileinto "No"; }
