"""DICOM networking (pynetdicom): the receiving node (SCP), the client verbs (SCU) and the spool.

Layered as the protocol is: :mod:`spool` (instances on disk) ← :mod:`scp` (C-ECHO/C-STORE SCP) and
:mod:`query` (C-FIND keys) ← :mod:`scu` (C-ECHO, C-FIND, C-MOVE, C-GET, C-STORE towards a peer).
Problems with a peer become :class:`nora.core.errors.Unavailable` here, at the boundary.
"""

from nora.dicom.net.query import LEVELS, FindQuery
from nora.dicom.net.scp import Caller, DicomNode, NodeConfig
from nora.dicom.net.scu import Client, Peer, TransferResult
from nora.dicom.net.spool import Spool

__all__ = ["LEVELS", "Caller", "Client", "DicomNode", "FindQuery", "NodeConfig", "Peer", "Spool", "TransferResult"]
