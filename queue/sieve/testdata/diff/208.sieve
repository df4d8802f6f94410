# 208: body :is on the whole text
require ["fileinto", "body"];
if body :is "nothing like it" { fileinto "Is"; } else { fileinto "Not"; }
