# 426: message without a body: body :contains ""
require ["fileinto", "body"];
if body :contains "" { fileinto "Empty"; } else { fileinto "No"; }
