# 245: fileinto gets the internal flags
require ["fileinto", "imap4flags"];
addflag "\\Flagged";
fileinto "Flagged";
