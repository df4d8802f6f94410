# 450: hasflag :matches
require ["fileinto", "imap4flags"];
addflag "$Label5";
if hasflag :matches "$label?" { fileinto "Label"; }
