# 542: multipart/digest part: body :text reads the inner message
require ["fileinto", "body"];
if body :text :contains "digest-marker" { fileinto "Inner"; } else { fileinto "No"; }
