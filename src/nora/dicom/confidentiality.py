"""DICOM PS3.15 Annex E, Table E.1-1: the Basic Application Level Confidentiality Profile, as data.

Each row of :data:`TABLE_E_1_1` is an attribute (by its DICOM keyword; pydicom's dictionary gives the tag)
and its action in the basic profile column of PS3.15 Table E.1-1 "Application Level Confidentiality
Profile Attributes":

- ``D`` replace with a non-zero length dummy value; ``Z`` replace with a zero length value (or a dummy);
  ``X`` remove; ``K`` keep; ``U`` replace the UID with a non-zero length UID that is consistent within
  the set of instances; a compound action (``X/Z``, ``X/D``, ``X/Z/D``, ``Z/D``, ``X/Z/U*``) lets the
  de-identifier choose, as :func:`resolve` does, where ``U*`` means "keep the sequence, replace the UIDs
  it contains".

Besides the rows, the profile removes every private attribute, curve data (groups ``50xx``) and overlay
data and comments (``60xx,3000`` and ``60xx,4000``) (:func:`action`). Attributes not in the table are kept.
The rows here are the table's attributes that can occur in the objects nora keeps (composite storage
objects); :mod:`nora.dicom.deid` applies them, and its test walks every element of a de-identified file
against this table.
"""

from __future__ import annotations

from pydicom.datadict import tag_for_keyword

#: keyword, basic profile action (PS3.15 Table E.1-1)
TABLE_E_1_1 = """
AccessionNumber                                               Z
AcquisitionComments                                           X
AcquisitionContextSequence                                    X
AcquisitionDate                                               X/Z
AcquisitionDateTime                                           X/Z/D
AcquisitionDeviceProcessingDescription                        X/D
AcquisitionProtocolDescription                                X
AcquisitionTime                                               X/Z
AcquisitionUID                                                U
ActualHumanPerformersSequence                                 X
AdditionalPatientHistory                                      X
AddressTrial                                                  X
AdmissionID                                                   X
AdmittingDate                                                 X
AdmittingDiagnosesCodeSequence                                X
AdmittingDiagnosesDescription                                 X
AdmittingTime                                                 X
AffectedSOPInstanceUID                                        X
Allergies                                                     X
ApprovalStatusDateTime                                        X
Arbitrary                                                     X
AuthorObserverSequence                                        X
BranchOfService                                               X
CassetteID                                                    X
CommentsOnThePerformedProcedureStep                           X
ConcatenationUID                                              U
ConfidentialityConstraintOnPatientDataDescription             X
ConsultingPhysicianName                                       Z
ConsultingPhysicianIdentificationSequence                     X
ContentCreatorName                                            Z
ContentCreatorIdentificationCodeSequence                      X
ContentDate                                                   Z/D
ContentSequence                                               X
ContentTime                                                   Z/D
ContextGroupExtensionCreatorUID                               U
ContrastBolusAgent                                            Z/D
ContributionDescription                                       X
CountryOfResidence                                            X
CreatorVersionUID                                             U
CurveDate                                                     X
CurveTime                                                     X
CustodialOrganizationSequence                                 X
DataSetTrailingPadding                                        X
DerivationDescription                                         X
DetectorID                                                    X/D
DeviceSerialNumber                                            X/Z/D
DeviceUID                                                     U
DeviceDescription                                             X
DigitalSignatureUID                                           X
DigitalSignaturesSequence                                     X
DimensionOrganizationUID                                      U
DischargeDiagnosisDescription                                 X
DistributionAddress                                           X
DistributionName                                              X
DoseReferenceUID                                              U
EndAcquisitionDateTime                                        X/D
EthnicGroup                                                   X
FailedSOPInstanceUIDList                                      U
FiducialUID                                                   U
FillerOrderNumberImagingServiceRequest                        Z
FrameComments                                                 X
FrameOfReferenceUID                                           U
GantryID                                                      X
GeneratorID                                                   X
GraphicAnnotationSequence                                     D
HumanPerformerName                                            X
HumanPerformerOrganization                                    X
IconImageSequence                                             X
IdentifyingComments                                           X
ImageComments                                                 X
ImagePresentationComments                                     X
ImagingServiceRequestComments                                 X
Impressions                                                   X
InstanceCreationDate                                          X/D
InstanceCreationTime                                          X/Z/D
InstanceCreatorUID                                            U
InstitutionAddress                                            X
InstitutionCodeSequence                                       X/Z/D
InstitutionName                                               X/Z/D
InstitutionalDepartmentName                                   X
InsurancePlanIdentification                                   X
IntendedRecipientsOfResultsIdentificationSequence             X
InterpretationApproverSequence                                X
InterpretationAuthor                                          X
InterpretationDiagnosisDescription                            X
InterpretationIDIssuer                                        X
InterpretationRecorder                                        X
InterpretationText                                            X
InterpretationTranscriber                                     X
IrradiationEventUID                                           U
IssuerOfAdmissionID                                           X
IssuerOfPatientID                                             X
IssuerOfServiceEpisodeID                                      X
LargePaletteColorLookupTableUID                               U
LastMenstrualDate                                             X
MAC                                                           X
MediaStorageSOPInstanceUID                                    U
MedicalAlerts                                                 X
MedicalRecordLocator                                          X
MilitaryRank                                                  X
ModifiedAttributesSequence                                    X
ModifiedImageDescription                                      X
ModifyingDeviceID                                             X
ModifyingDeviceManufacturer                                   X
NameOfPhysiciansReadingStudy                                  X
NamesOfIntendedRecipientsOfResults                            X
Occupation                                                    X
OperatorIdentificationSequence                                X/D
OperatorsName                                                 X/Z/D
OriginalAttributesSequence                                    X
OrderCallbackPhoneNumber                                      X
OrderCallbackTelecomInformation                               X
OrderEnteredBy                                                X
OrderEntererLocation                                          X
OtherPatientIDs                                               X
OtherPatientIDsSequence                                       X
OtherPatientNames                                             X
OverlayDate                                                   X
OverlayTime                                                   X
ParticipantSequence                                           X
PatientAddress                                                X
PatientComments                                               X
PatientID                                                     Z
PatientSexNeutered                                            X/Z
PatientState                                                  X
PatientTransportArrangements                                  X
PatientAge                                                    X
PatientBirthDate                                              Z
PatientBirthName                                              X
PatientBirthTime                                              X
PatientInstitutionResidence                                   X
PatientInsurancePlanCodeSequence                              X
PatientMotherBirthName                                        X
PatientName                                                   Z
PatientPrimaryLanguageCodeSequence                            X
PatientPrimaryLanguageModifierCodeSequence                    X
PatientReligiousPreference                                    X
PatientSex                                                    Z
PatientSize                                                   X
PatientTelephoneNumbers                                       X
PatientWeight                                                 X
PerformedLocation                                             X
PerformedProcedureStepDescription                             X
PerformedProcedureStepEndDate                                 X
PerformedProcedureStepEndDateTime                             X
PerformedProcedureStepEndTime                                 X
PerformedProcedureStepID                                      X
PerformedProcedureStepStartDate                               X
PerformedProcedureStepStartDateTime                           X
PerformedProcedureStepStartTime                               X
PerformedStationAETitle                                       X
PerformedStationGeographicLocationCodeSequence                X
PerformedStationName                                          X
PerformedStationNameCodeSequence                              X
PerformingPhysicianIdentificationSequence                     X
PerformingPhysicianName                                       X
PersonAddress                                                 X
PersonIdentificationCodeSequence                              D
PersonName                                                    D
PersonTelephoneNumbers                                        X
PhysicianApprovingInterpretation                              X
PhysiciansReadingStudyIdentificationSequence                  X
PhysiciansOfRecord                                            X
PhysiciansOfRecordIdentificationSequence                      X
PlacerOrderNumberImagingServiceRequest                        Z
PlateID                                                       X
PreMedication                                                 X
PregnancyStatus                                               X
ProtocolName                                                  X/D
ReasonForStudy                                                X
ReasonForTheImagingServiceRequest                             X
ReasonForTheRequestedProcedure                                X
ReferencedFrameOfReferenceUID                                 U
ReferencedGeneralPurposeScheduledProcedureStepTransactionUID  U
ReferencedImageSequence                                       X/Z/U*
ReferencedPatientAliasSequence                                X
ReferencedPatientPhotoSequence                                X
ReferencedPatientSequence                                     X
ReferencedPerformedProcedureStepSequence                      X/Z/D
ReferencedSOPInstanceUID                                      U
ReferencedSOPInstanceUIDInFile                                U
ReferencedStudySequence                                       X/Z
ReferringPhysicianAddress                                     X
ReferringPhysicianIdentificationSequence                      X
ReferringPhysicianName                                        Z
ReferringPhysicianTelephoneNumbers                            X
RegionOfResidence                                             X
RelatedFrameOfReferenceUID                                    U
RequestAttributesSequence                                     X
RequestedContrastAgent                                        X
RequestedProcedureComments                                    X
RequestedProcedureDescription                                 X/Z
RequestedProcedureID                                          X
RequestedProcedureLocation                                    X
RequestedSOPInstanceUID                                       U
RequestingPhysician                                           X
RequestingService                                             X
ResponsibleOrganization                                       X
ResponsiblePerson                                             X
ResultsComments                                               X
ResultsDistributionListSequence                               X
ResultsIDIssuer                                               X
ReviewerName                                                  X/Z
ScheduledHumanPerformersSequence                              X
ScheduledPatientInstitutionResidence                          X
ScheduledPerformingPhysicianIdentificationSequence            X
ScheduledPerformingPhysicianName                              X
ScheduledProcedureStepEndDate                                 X
ScheduledProcedureStepEndTime                                 X
ScheduledProcedureStepDescription                             X
ScheduledProcedureStepLocation                                X
ScheduledProcedureStepStartDate                               X
ScheduledProcedureStepStartTime                               X
ScheduledStationAETitle                                       X
ScheduledStationGeographicLocationCodeSequence                X
ScheduledStationName                                          X
ScheduledStationNameCodeSequence                              X
ScheduledStudyLocation                                        X
ScheduledStudyLocationAETitle                                 X
SeriesDate                                                    X/D
SeriesDescription                                             X
SeriesInstanceUID                                             U
SeriesTime                                                    X/D
ServiceEpisodeDescription                                     X
ServiceEpisodeID                                              X
SmokingStatus                                                 X
SOPInstanceUID                                                U
SourceImageSequence                                           X/Z/U*
SpecialNeeds                                                  X
StationName                                                   X/Z/D
StorageMediaFileSetUID                                        U
StudyComments                                                 X
StudyDate                                                     Z
StudyDescription                                              X
StudyID                                                       Z
StudyIDIssuer                                                 X
StudyInstanceUID                                              U
StudyTime                                                     Z
SynchronizationFrameOfReferenceUID                            U
TemplateExtensionCreatorUID                                   U
TemplateExtensionOrganizationUID                              U
TextComments                                                  X
TextString                                                    X
TimezoneOffsetFromUTC                                         X
TopicAuthor                                                   X
TopicKeywords                                                 X
TopicSubject                                                  X
TopicTitle                                                    X
TransactionUID                                                U
UID                                                           U
VerifyingObserverIdentificationCodeSequence                   Z
VerifyingObserverName                                         D
VerifyingObserverSequence                                     D
VerifyingOrganization                                         X
VisitComments                                                 X
"""


def _parse(text: str) -> dict[int, str]:
    table: dict[int, str] = {}
    for line in text.strip().splitlines():
        keyword, profile_action = line.split()
        tag = tag_for_keyword(keyword)
        if tag is None:  # a typo in the table must not silently keep an attribute
            raise ValueError(f"PS3.15 table row {keyword!r} is not a DICOM keyword")
        table[int(tag)] = profile_action
    return table


#: tag -> basic profile action
ACTIONS: dict[int, str] = _parse(TABLE_E_1_1)


def action(tag: int) -> str:
    """The basic profile's action for ``tag`` (compound actions as in the table); ``K`` when it is not listed."""
    group, element = tag >> 16, tag & 0xFFFF
    if group % 2 == 1:  # private attributes (and private creators)
        return "X"
    if 0x5000 <= group <= 0x50FF:  # curve data
        return "X"
    if 0x6000 <= group <= 0x60FF and element in (0x3000, 0x4000):  # overlay data, overlay comments
        return "X"
    return ACTIONS.get(tag, "K")


def resolve(profile_action: str) -> str:
    """The one action nora takes for a table action: ``X`` where the table allows removal (the objects' own
    optional attributes), ``Z`` for ``Z/D``, ``U*`` for ``X/Z/U*`` (references kept, their UIDs replaced)."""
    if profile_action == "X/Z/U*":
        return "U*"
    return profile_action.split("/")[0]
